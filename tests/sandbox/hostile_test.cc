// A viewer who took over their worker (tests/apps/hostile_app.cc) attacks
// another session, the broker and the host, through the real broker at the
// strict and the standard level, and at standard with the broker started
// without root (every worker then shares the broker's uid, so only the
// sandbox keeps them apart), one session per attack. Each attempt must fail
// in the way the level promises, while a bystander session keeps its worker
// and its state.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"
#include "tests/support/temp_dir.h"

namespace sluice::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kHostileApp = SLUICE_HOSTILE_APP;
constexpr char kSetpriv[] = "/usr/bin/setpriv";
constexpr int kNobody = 65534;

struct Setup {
  const char* level;
  bool without_root;  // the broker runs as nobody (started by root through setpriv)
};

void PrintTo(const Setup& setup, std::ostream* out) {
  *out << setup.level << (setup.without_root ? " without root" : "");
}

// The real uid, from /proc/PID/status; -1 if unknown.
long Uid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Uid:", 0) == 0) return std::stol(line.substr(4));
  }
  return -1;
}

bool UnderAddressSanitizer() {
  return std::string(SLUICE_SANITIZE).find("address") != std::string::npos;
}

// A directory of files only the test (root) may read, and one it shares.
class Files {
 public:
  Files() {
    char pattern[] = "/tmp/sluice-sandbox-test-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    ::chmod(dir_.c_str(), 0755);  // workers run as other uids
    Write(secret(), 0600);
    Write(world_readable(), 0644);
    Write(allowed(), 0644);
  }
  ~Files() { std::filesystem::remove_all(dir_); }
  std::string secret() const { return dir_ + "/secret.txt"; }
  std::string world_readable() const { return dir_ + "/public.txt"; }
  std::string allowed() const { return dir_ + "/allowed.txt"; }
  std::string written() const { return dir_ + "/written.txt"; }

 private:
  void Write(const std::string& path, mode_t mode) {
    std::ofstream(path) << "viewer data";
    ::chmod(path.c_str(), mode);
  }
  std::string dir_;
};

class HostileTest : public ::testing::TestWithParam<Setup> {
 protected:
  void SetUp() override {
    std::vector<std::string> flags = {"--sandbox",    level(),           "--worker-memory-mb",
                                      "256",          "--rerun-timeout", "2s",
                                      "--allow-read", files_.allowed()};
    if (GetParam().without_root) {
      if (::geteuid() != 0) GTEST_SKIP() << "needs root to start the broker as another user";
      if (!std::filesystem::exists(kSetpriv)) GTEST_SKIP() << "no setpriv";
      std::string wrapper = wrapper_dir_.Write(
          "sluice-as-nobody",
          absl::StrCat("#!/bin/sh\nexec ", kSetpriv, " --reuid=", kNobody, " --regid=", kNobody,
                       " --clear-groups ", SluiceBinary(), " \"$@\"\n"),
          0700);
      ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::StartBinary(wrapper, kHostileApp, flags));
    } else {
      ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kHostileApp, flags));
    }
    if (GetParam().without_root) {
      ASSERT_EQ(Uid(broker_->pid()), kNobody);
    }
    ASSERT_OK_AND_ASSIGN(bystander_, AppSession::Open(broker_->port()));
    ASSERT_OK(bystander_->Click("Add one"));
    bystander_pid_ = bystander_->WorkerPid();
    ASSERT_TRUE(bystander_pid_.has_value());
    ASSERT_OK_AND_ASSIGN(victim_, AppSession::Open(broker_->port()));
    ASSERT_OK_AND_ASSIGN(attacker_, AppSession::Open(broker_->port()));
    std::optional<pid_t> target = victim_->ShownPid();
    ASSERT_TRUE(target.has_value());
    ASSERT_OK(attacker_->Change("target pid", WidgetInput::Text(std::to_string(*target))));
    ASSERT_OK(attacker_->Change("broker port", WidgetInput::Text(std::to_string(broker_->port()))));
    if (GetParam().without_root) {
      // What makes this setup worth testing: the kernel alone would not
      // keep them apart.
      ASSERT_EQ(Uid(*victim_->WorkerPid()), kNobody);
      ASSERT_EQ(Uid(*attacker_->WorkerPid()), kNobody);
    }
  }

  void TearDown() override {
    if (!bystander_) return;
    // The bystander keeps its worker and its state.
    ASSERT_OK(bystander_->Click("Add one"));
    EXPECT_TRUE(bystander_->page().HasText("clicks: 2")) << bystander_->page().DebugString();
    EXPECT_EQ(bystander_->WorkerPid(), bystander_pid_);
  }

  std::string level() const { return GetParam().level; }
  bool strict() const { return level() == "strict"; }

  void Target(pid_t pid) {
    ASSERT_OK(attacker_->Change("target pid", WidgetInput::Text(std::to_string(pid))));
  }

  // Clicks the attack's button and returns what the attacker's page shows.
  std::string Attack(const std::string& button, const std::string& path = "") {
    if (!path.empty()) {
      absl::Status set = attacker_->Change("path", WidgetInput::Text(path));
      if (!set.ok()) return std::string(set.message());
    }
    absl::Status clicked = attacker_->Click(button);
    if (!clicked.ok()) return std::string(clicked.message());
    return attacker_->page().TextStartingWith("result: ").value_or("no result").substr(8);
  }

  void ExpectVictimUnharmed() {
    std::optional<pid_t> victim = victim_->WorkerPid();
    ASSERT_TRUE(victim.has_value());
    EXPECT_TRUE(ProcessAlive(*victim));
    ASSERT_OK(victim_->Click("Add one"));
    EXPECT_TRUE(victim_->page().HasText("clicks: 1")) << victim_->page().DebugString();
  }

  // As the reapers counted the workers' reports: wait for a figure, it
  // comes after the refused call (sandbox/denials.h).
  std::uint64_t DeniedSyscalls() {
    absl::StatusOr<HttpResponse> metrics =
        HttpGet(broker_->port(), "/metrics", After(kStepTimeout));
    if (!metrics.ok()) return 0;
    std::string name = "\nsluice_sandbox_denied_syscalls_total ";
    std::size_t at = metrics->body.find(name);
    if (at == std::string::npos) return 0;
    return std::strtoull(metrics->body.c_str() + at + name.size(), nullptr, 10);
  }

  // A notice ends the attacker's session: the worker is gone, nothing else.
  void ExpectAttackerEndedWith(const std::string& button, const std::string& message) {
    std::optional<pid_t> attacker = attacker_->WorkerPid();
    ASSERT_TRUE(attacker.has_value());
    ASSERT_OK(attacker_->Send(button, WidgetInput::Click()));
    ASSERT_OK_AND_ASSIGN(NoticeInfo notice,
                         attacker_->page().ReceiveUntilNotice(attacker_->client()));
    EXPECT_EQ(notice.kind, ipc::Notice::Kind::CRASHED) << notice.message;
    EXPECT_THAT(notice.message, HasSubstr(message));
    EXPECT_TRUE(WaitForExit(*attacker, After(std::chrono::seconds(10))));
    ExpectVictimUnharmed();
  }

  Files files_;
  TempDir wrapper_dir_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AppSession> bystander_;
  std::optional<pid_t> bystander_pid_;
  std::unique_ptr<AppSession> victim_;
  std::unique_ptr<AppSession> attacker_;
};

TEST_P(HostileTest, CannotReadAnotherWorkersMemoryThroughProc) {
  // strict: the victim is not even visible (hidepid, another uid);
  // standard: its /proc files belong to root (not dumpable, another uid).
  EXPECT_EQ(Attack("Read memory via /proc"), strict() ? "ENOENT" : "EACCES");
  ExpectVictimUnharmed();
}

TEST_P(HostileTest, CannotReadAnotherWorkersMemoryWithProcessVmReadv) {
  std::uint64_t before = DeniedSyscalls();
  EXPECT_EQ(Attack("Read memory via process_vm_readv"), "EPERM");
  // Counted by the reaper, from the worker's report (sandbox/denials.h).
  EXPECT_TRUE(WaitUntil([&] { return DeniedSyscalls() > before; }, After(kStepTimeout)));
  ExpectVictimUnharmed();
}

TEST_P(HostileTest, CannotPtraceAnotherWorker) {
  EXPECT_EQ(Attack("Ptrace"), "EPERM");
  ExpectVictimUnharmed();
}

TEST_P(HostileTest, CannotSignalAnotherWorkerOrEveryone) {
  EXPECT_EQ(Attack("Kill"), "EPERM");
  EXPECT_EQ(Attack("Kill everyone"), "EPERM");
  ExpectVictimUnharmed();
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker_->Healthz());
  EXPECT_EQ(health.status, 200);
}

// tkill and tgkill name a thread rather than a process group: without root
// the kernel would let them reach every worker and the broker (one uid).
TEST_P(HostileTest, CannotSignalAnotherWorkerOrTheBrokerByThreadOrQueue) {
  std::uint64_t before = DeniedSyscalls();
  for (pid_t target : {*victim_->ShownPid(), broker_->pid()}) {
    Target(target);
    EXPECT_EQ(Attack("Tkill"), "EPERM") << target;
    EXPECT_EQ(Attack("Tgkill"), "EPERM") << target;
    EXPECT_EQ(Attack("Sigqueue"), "EPERM") << target;
    EXPECT_EQ(Attack("Pidfd signal"), "EPERM") << target;
  }
  EXPECT_TRUE(WaitUntil([&] { return DeniedSyscalls() >= before + 8; }, After(kStepTimeout)))
      << "refused by the sandbox, whatever the uids";
  EXPECT_EQ(Attack("Signal itself"), "ok");
  ExpectVictimUnharmed();
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker_->Healthz());
  EXPECT_EQ(health.status, 200);
}

// F_SETOWN + O_ASYNC: the kernel sends SIGIO to a descriptor's owner, whom
// the worker would choose.
TEST_P(HostileTest, CannotDirectSigioAtAnotherWorkerOrTheBroker) {
  std::uint64_t before = DeniedSyscalls();
  for (pid_t target : {*victim_->ShownPid(), broker_->pid()}) {
    Target(target);
    EXPECT_EQ(Attack("Signal via SIGIO"), "EPERM") << target;
    EXPECT_EQ(Attack("Set owner ex"), "EPERM") << target;
  }
  EXPECT_EQ(Attack("Set signal"), "EPERM");
  EXPECT_EQ(Attack("Set async"), "EPERM");
  EXPECT_TRUE(WaitUntil([&] { return DeniedSyscalls() >= before + 6; }, After(kStepTimeout)));
  EXPECT_EQ(Attack("Set nonblocking"), "ok");
  ExpectVictimUnharmed();
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker_->Healthz());
  EXPECT_EQ(health.status, 200);
}

TEST_P(HostileTest, CannotReadTheBrokersMemoryThroughProc) {
  Target(broker_->pid());
  // strict: the broker is outside the worker's pid namespace; standard:
  // its /proc files are root's (as root by uid, without root because the
  // broker makes itself not dumpable).
  EXPECT_EQ(Attack("Read memory via /proc"), strict() ? "ENOENT" : "EACCES");
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker_->Healthz());
  EXPECT_EQ(health.status, 200);
}

// The keeper holds values other sessions are publishing, the reaper what
// every worker prints, the zygote the secrets: without root they share the
// workers' uid, so each makes itself not dumpable as the broker does.
TEST_P(HostileTest, CannotReadTheKeepersReapersOrZygotesMemoryThroughProc) {
  // At strict they are outside the worker's pid namespace, or hidden in its
  // /proc: nothing of theirs can be named there.
  if (strict()) GTEST_SKIP() << "their pids mean nothing in the worker's pid namespace";
  for (std::string_view name : {"sluice-keeper", "sluice-reaper", "sluice-zygote"}) {
    std::optional<pid_t> helper;
    for (pid_t pid : DescendantsOf(broker_->pid())) {
      if (ReadProcFile(pid, "comm") == std::string(name) + "\n") helper = pid;
    }
    ASSERT_TRUE(helper.has_value()) << name;
    Target(*helper);
    EXPECT_EQ(Attack("Read memory via /proc"), "EACCES") << name;
  }
  ExpectVictimUnharmed();
}

TEST_P(HostileTest, CannotConnectToTheBroker) {
  EXPECT_EQ(Attack("Connect to broker"), "EPERM");
  ExpectVictimUnharmed();
}

TEST_P(HostileTest, CannotForkOrExecAShell) {
  EXPECT_EQ(Attack("Fork"), "EPERM");
  EXPECT_EQ(Attack("Exec shell"), "EPERM");
  ExpectVictimUnharmed();
}

TEST_P(HostileTest, CannotReadFilesOutsideTheAllowedPaths) {
  // strict: nothing but the app, its libraries and --allow-read is there;
  // standard: the worker's own uid decides, so only world-readable files
  // (the host's own) can be read.
  EXPECT_EQ(Attack("Read file", files_.secret()), strict() ? "ENOENT" : "EACCES");
  EXPECT_EQ(Attack("Read file", "/etc/shadow"), strict() ? "ENOENT" : "EACCES");
  if (strict()) {
    EXPECT_EQ(Attack("Read file", files_.world_readable()), "ENOENT");
    EXPECT_EQ(Attack("Read file", "/etc/passwd"), "ENOENT");
  }
  EXPECT_EQ(Attack("Read file", files_.allowed()), "ok");
  ExpectVictimUnharmed();
}

TEST_P(HostileTest, CannotWriteAnywhere) {
  EXPECT_EQ(Attack("Write file", files_.written()), "EPERM");
  EXPECT_EQ(Attack("Write file", files_.allowed()), "EPERM");
  EXPECT_EQ(Attack("Write file", "/tmp/sluice-sandbox-test-written"), "EPERM");
  EXPECT_FALSE(std::filesystem::exists(files_.written()));
  EXPECT_FALSE(std::filesystem::exists("/tmp/sluice-sandbox-test-written"));
  ExpectVictimUnharmed();
}

TEST_P(HostileTest, MemoryExhaustionEndsOnlyThatSession) {
  if (UnderAddressSanitizer()) {
    GTEST_SKIP() << "under ASan a failed allocation is an ASan out-of-memory report, not the "
                    "new handler (README, Sandbox)";
  }
  ExpectAttackerEndedWith("Allocate forever", "ran out of memory");
}

TEST_P(HostileTest, EndlessLoopEndsOnlyThatSession) {
  ExpectAttackerEndedWith("Loop forever", "--rerun-timeout");
}

// Clicks `button` in `session` and returns the result it shows.
std::string Click(AppSession& session, const std::string& button) {
  absl::Status clicked = session.Click(button);
  if (!clicked.ok()) return std::string(clicked.message());
  return session.page().TextStartingWith("result: ").value_or("no result").substr(8);
}

long ParentPid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("PPid:", 0) == 0) return std::stol(line.substr(5));
  }
  return -1;
}

// After a reload the old zygote's workers live on beside the new one's:
// each still has a uid no other live worker has (each zygote used to number
// its workers from 0), so the kernel keeps them apart as well as the filter.
TEST(WorkerGenerationsTest, SessionsOfTwoGenerationsHaveDifferentUidsAndCannotSignalEachOther) {
  if (::geteuid() != 0) GTEST_SKIP() << "a uid per worker needs root";
  ASSERT_OK_AND_ASSIGN(
      auto broker, BrokerProcess::Start(kHostileApp, {"--sandbox", "standard", "--prefork", "0"}));
  ASSERT_OK_AND_ASSIGN(auto old_session, AppSession::Open(broker->port()));
  std::optional<pid_t> old_pid = old_session->WorkerPid();
  ASSERT_TRUE(old_pid);

  ASSERT_OK(broker->process().Kill(SIGUSR2));
  ASSERT_TRUE(broker->process().WaitForLine(
      [](std::string_view line) {
        return line.find("zygote_generation_current") != line.npos &&
               line.find("\"generation\":2") != line.npos;
      },
      After(kStepTimeout * 4)))
      << broker->process().Output();
  ASSERT_OK_AND_ASSIGN(auto new_session, AppSession::Open(broker->port()));
  std::optional<pid_t> new_pid = new_session->WorkerPid();
  ASSERT_TRUE(new_pid);
  ASSERT_NE(ParentPid(*old_pid), ParentPid(*new_pid)) << "forked by two zygotes";

  EXPECT_NE(Uid(*old_pid), 0);
  EXPECT_NE(Uid(*new_pid), 0);
  EXPECT_NE(Uid(*old_pid), Uid(*new_pid));

  for (auto [attacker, target] :
       {std::pair{new_session.get(), *old_pid}, std::pair{old_session.get(), *new_pid}}) {
    ASSERT_OK(attacker->Change("target pid", WidgetInput::Text(std::to_string(target))));
    for (const char* button : {"Kill", "Tkill", "Tgkill", "Signal via SIGIO"}) {
      EXPECT_EQ(Click(*attacker, button), "EPERM") << button << " of " << target;
    }
  }
  EXPECT_TRUE(ProcessAlive(*old_pid));
  EXPECT_TRUE(ProcessAlive(*new_pid));
  ASSERT_OK(old_session->Click("Add one"));
  EXPECT_TRUE(old_session->page().HasText("clicks: 1")) << old_session->page().DebugString();
  EXPECT_EQ(old_session->WorkerPid(), old_pid);
}

INSTANTIATE_TEST_SUITE_P(Levels, HostileTest,
                         ::testing::Values(Setup{"strict", false}, Setup{"standard", false},
                                           Setup{"standard", true}),
                         [](const auto& info) {
                           return absl::StrCat(info.param.level,
                                               info.param.without_root ? "_without_root" : "");
                         });

}  // namespace
}  // namespace sluice::testing
