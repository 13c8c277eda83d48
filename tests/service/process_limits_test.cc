// What the broker does with the descriptor limit it was started with
// (broker/process_limits.h): each session holds two descriptors in the
// broker, so a low soft limit is raised to the hard one (and the zygote and
// keeper inherit it), and a hard limit too low for --workers is a warning
// that names the figure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

namespace fs = std::filesystem;

using ::testing::HasSubstr;

constexpr rlim_t kLowSoftLimit = 1024;

// The soft "Max open files" of /proc/PID/limits; -1 if unreadable.
long SoftOpenFileLimit(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(std::string("Max open files").size()));
    long soft = -1;
    fields >> soft;
    return soft;
  }
  return -1;
}

std::optional<std::string> LoggedEvent(BrokerProcess& broker, std::string_view event) {
  std::string field = "\"event\":\"" + std::string(event) + "\"";
  for (const std::string& line : broker.process().Lines()) {
    if (line.find(field) != std::string::npos) return line;
  }
  return std::nullopt;
}

TEST(ProcessLimitsTest, LowSoftDescriptorLimitIsRaisedToTheHardOne) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max <= kLowSoftLimit) GTEST_SKIP() << "the hard limit is already low";
  // As a shell with `ulimit -Sn 1024` (or a service manager's default) starts it.
  std::string dir = (fs::temp_directory_path() / "sluice-limits-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::string wrapper = dir + "/sluice";
  std::ofstream(wrapper) << "#!/bin/sh\nulimit -Sn " << kLowSoftLimit << "\nexec '"
                         << SluiceBinary() << "' \"$@\"\n";
  ASSERT_EQ(::chmod(wrapper.c_str(), 0755), 0);
  auto started = BrokerProcess::StartBinary(wrapper, kStateApp, {"--cache-size", "64M"});
  fs::remove_all(dir);
  ASSERT_OK_AND_ASSIGN(auto broker, std::move(started));

  std::optional<std::string> raised = LoggedEvent(*broker, "open_file_limit_raised");
  ASSERT_TRUE(raised) << broker->process().Output();
  EXPECT_THAT(*raised, HasSubstr(absl::StrCat("\"from\":", kLowSoftLimit)));
  EXPECT_THAT(*raised, HasSubstr(absl::StrCat("\"to\":", limit.rlim_max)));
  EXPECT_EQ(SoftOpenFileLimit(broker->pid()), static_cast<long>(limit.rlim_max));
  // The zygote and the keeper, started after, have it too.
  std::vector<pid_t> helpers = DescendantsOf(broker->pid());
  ASSERT_FALSE(helpers.empty());
  for (pid_t pid : helpers) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    comm >> name;
    if (name == "sluice-worker") continue;  // the sandbox sets its own
    EXPECT_EQ(SoftOpenFileLimit(pid), static_cast<long>(limit.rlim_max)) << name;
  }
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  EXPECT_OK(tab->Click("Add one"));
}

TEST(ProcessLimitsTest, HardLimitTooLowForWorkersIsAWarningNamingTheFigure) {
  ChildProcess::Inherited inherited;
  inherited.max_open_files = 200;
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::StartInheriting(inherited, kStateApp,
                                                      {"--workers", "256", "--cache-size", "0"}));
  std::optional<std::string> low = LoggedEvent(*broker, "open_file_limit_low");
  ASSERT_TRUE(low) << broker->process().Output();
  EXPECT_THAT(*low, HasSubstr("\"limit\":200"));
  EXPECT_THAT(*low, HasSubstr("\"workers\":256"));
  EXPECT_THAT(*low, HasSubstr("\"prefork\":2"));
  EXPECT_THAT(*low, HasSubstr("\"needed\":838")) << "64 + 3 for each of 256 + 2 workers";
  EXPECT_FALSE(LoggedEvent(*broker, "open_file_limit_raised"));
  // It serves anyway, as many sessions as descriptors allow.
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  EXPECT_OK(tab->Click("Add one"));
}

}  // namespace
}  // namespace sluice::testing
