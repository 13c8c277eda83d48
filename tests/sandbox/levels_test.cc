// What each --sandbox level sets up, seen from outside the workers: the
// level the broker reports, the uids workers run as, their namespaces, and
// the flags' errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string Namespace(pid_t pid, const std::string& kind) {
  char target[64] = {};
  std::string link = "/proc/" + std::to_string(pid) + "/ns/" + kind;
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "";
}

// The real uid, from /proc/PID/status; -1 if unknown.
long Uid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Uid:", 0) == 0) return std::stol(line.substr(4));
  }
  return -1;
}

bool AnyLineHas(const BrokerProcess& broker, const std::string& text) {
  for (const std::string& line : const_cast<BrokerProcess&>(broker).process().Lines()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(SandboxLevelsTest, DefaultIsStrictWhereTheHostPermitsNamespaces) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp));
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker->Healthz());
  EXPECT_THAT(health.body, HasSubstr("\"sandbox\":\"strict\"")) << health.body;
  EXPECT_TRUE(AnyLineHas(*broker, "\"event\":\"sandbox\",\"level\":\"strict\""))
      << broker->process().Output();
}

TEST(SandboxLevelsTest, StrictWorkersHaveTheirOwnNamespacesAndUids) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--sandbox", "strict"}));
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker->port()));
  std::optional<pid_t> a = first->WorkerPid(), b = second->WorkerPid();
  ASSERT_TRUE(a && b);
  pid_t self = ::getpid();
  for (const char* kind : {"pid", "net", "mnt", "ipc"}) {
    EXPECT_NE(Namespace(*a, kind), Namespace(self, kind)) << kind;
    EXPECT_EQ(Namespace(*a, kind), Namespace(*b, kind)) << kind << ": made once, for the zygote";
  }
  EXPECT_THAT(NamespacePids(*a), SizeIs(2));
  EXPECT_NE(Uid(*a), 0);
  EXPECT_NE(Uid(*a), Uid(*b));
}

TEST(SandboxLevelsTest, StandardWorkersShareOurNamespacesButNotOurUid) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--sandbox", "standard"}));
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker->Healthz());
  EXPECT_THAT(health.body, HasSubstr("\"sandbox\":\"standard\""));
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker->port()));
  std::optional<pid_t> a = first->WorkerPid(), b = second->WorkerPid();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(first->ShownPid(), a) << "no pid namespace at standard";
  EXPECT_EQ(Namespace(*a, "net"), Namespace(::getpid(), "net"));
  if (::geteuid() == 0) {
    EXPECT_NE(Uid(*a), 0);
    EXPECT_NE(Uid(*a), Uid(*b));
  }
}

TEST(SandboxLevelsTest, OffWarnsLoudlyAndAppliesNothing) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--sandbox", "off"}));
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker->Healthz());
  EXPECT_THAT(health.body, HasSubstr("\"sandbox\":\"off\""));
  EXPECT_TRUE(AnyLineHas(*broker, "SANDBOX_OFF")) << broker->process().Output();
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  std::optional<pid_t> worker = tab->WorkerPid();
  ASSERT_TRUE(worker);
  EXPECT_EQ(Uid(*worker), static_cast<long>(::getuid()));
}

// Runs `sluice serve` with `flags` to its end.
std::unique_ptr<ChildProcess> ServeToEnd(std::vector<std::string> flags) {
  ChildProcess::Options options;
  options.program = SluiceBinary();
  options.args = {"serve", kStateApp, "--host", "127.0.0.1", "--port", "0"};
  options.args.insert(options.args.end(), flags.begin(), flags.end());
  auto process = ChildProcess::Spawn(std::move(options));
  EXPECT_TRUE(process.ok()) << process.status();
  return process.ok() ? *std::move(process) : nullptr;
}

TEST(SandboxLevelsTest, BadFlagsAreOneLineUsageErrors) {
  for (std::vector<std::string> flags :
       std::vector<std::vector<std::string>>{{"--sandbox", "paranoid"},
                                             {"--allow-read", "/no/such/path/for/sluice"},
                                             {"--worker-memory-mb", "lots"},
                                             {"--rerun-timeout", "forever"}}) {
    std::unique_ptr<ChildProcess> process = ServeToEnd(flags);
    ASSERT_NE(process, nullptr);
    ASSERT_OK_AND_ASSIGN(int status, process->Wait(After(kStepTimeout)));
    process->WaitForOutputEnd(After(kStepTimeout));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << process->Output();
    EXPECT_THAT(process->Lines(), SizeIs(1)) << process->Output();
    EXPECT_THAT(process->Output(), HasSubstr(flags[0]));
  }
}

}  // namespace
}  // namespace sluice::testing
