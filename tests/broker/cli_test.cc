// `sluice serve` refuses what it cannot serve with one line on stderr and
// exit code 2, before it forks anything.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/broker/test_apps.h"
#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

struct Outcome {
  int status = 0;
  std::vector<std::string> stderr_lines;
  std::string output;
};

// Runs sluice with `args` to completion.
absl::StatusOr<Outcome> RunSluice(std::vector<std::string> args, bool capture_stdout = false) {
  ChildProcess::Options options;
  options.program = SluiceBinary();
  options.args = std::move(args);
  options.capture_stdout = capture_stdout;
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Spawn(std::move(options));
  if (!process.ok()) return process.status();
  absl::StatusOr<int> status = (*process)->Wait(After(kStepTimeout));
  if (!status.ok()) {
    return absl::Status(status.status().code(), absl::StrCat(status.status().message(),
                                                             "; output:\n", (*process)->Output()));
  }
  // Nothing it started may outlive it.
  if (std::vector<pid_t> left = ProcessesInGroup((*process)->pid()); !left.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(left.size(), " processes outlived sluice"));
  }
  (*process)->WaitForOutputEnd(After(kStepTimeout));
  return Outcome{*status, (*process)->Lines(), (*process)->Output()};
}

std::vector<std::string> ServeArgs(const std::string& app, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"serve", app, "--host", "127.0.0.1", "--port", "0"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

void ExpectUsageError(const Outcome& outcome, const ::testing::Matcher<std::string>& line) {
  ASSERT_TRUE(WIFEXITED(outcome.status)) << DescribeWaitStatus(outcome.status);
  EXPECT_EQ(WEXITSTATUS(outcome.status), 2) << outcome.output;
  ASSERT_THAT(outcome.stderr_lines, SizeIs(1)) << outcome.output;
  EXPECT_THAT(outcome.stderr_lines[0], line);
}

TEST(CliTest, BadFlagExitsWith2) {
  ASSERT_OK_AND_ASSIGN(Outcome outcome, RunSluice(ServeArgs(kStateApp, {"--no-such-flag"})));
  ExpectUsageError(outcome, HasSubstr("no-such-flag"));
}

TEST(CliTest, BadFlagValueExitsWith2) {
  ASSERT_OK_AND_ASSIGN(Outcome outcome, RunSluice(ServeArgs(kStateApp, {"--workers", "many"})));
  ExpectUsageError(outcome, AnyOf(HasSubstr("workers"), HasSubstr("many")));
}

TEST(CliTest, MaxUploadMbMustBeAPositiveWholeNumber) {
  for (const char* value : {"0", "-5", "2.5", "lots"}) {
    ASSERT_OK_AND_ASSIGN(Outcome outcome,
                         RunSluice(ServeArgs(kStateApp, {"--max-upload-mb", value})));
    ExpectUsageError(outcome, HasSubstr("--max-upload-mb"));
  }
}

TEST(CliTest, MissingAppExitsWith2) {
  std::string missing = "/nonexistent/sluice-test/missing_app.so";
  ASSERT_OK_AND_ASSIGN(Outcome outcome, RunSluice(ServeArgs(missing)));
  ExpectUsageError(outcome, HasSubstr("missing_app.so"));
}

TEST(CliTest, PlainFileIsNotAnApp) {
  std::filesystem::path file = std::filesystem::temp_directory_path() /
                               ("sluice-cli-test-" + std::to_string(getpid()) + ".so");
  std::ofstream(file) << "this is not a shared library\n";
  absl::StatusOr<Outcome> outcome = RunSluice(ServeArgs(file.string()));
  std::filesystem::remove(file);
  ASSERT_OK(outcome);
  ExpectUsageError(*outcome, HasSubstr(file.filename().string()));
}

TEST(CliTest, SharedLibraryWithoutAppIsNotAnApp) {
  ASSERT_OK_AND_ASSIGN(Outcome outcome, RunSluice(ServeArgs(kNotAnApp)));
  ExpectUsageError(outcome, HasSubstr("not_an_app"));
}

TEST(CliTest, TakenPortExitsWith2) {
  namespace net = boost::asio;
  net::io_context context;
  net::ip::tcp::acceptor holder(context,
                                net::ip::tcp::endpoint(net::ip::address_v4::loopback(), 0));
  std::string port = std::to_string(holder.local_endpoint().port());
  ASSERT_OK_AND_ASSIGN(Outcome outcome,
                       RunSluice({"serve", kStateApp, "--host", "127.0.0.1", "--port", port}));
  ExpectUsageError(outcome, AnyOf(HasSubstr(port), HasSubstr("in use")));
}

TEST(CliTest, HelpExitsZero) {
  ASSERT_OK_AND_ASSIGN(Outcome outcome, RunSluice({"--help"}, /*capture_stdout=*/true));
  ASSERT_TRUE(WIFEXITED(outcome.status)) << DescribeWaitStatus(outcome.status);
  EXPECT_EQ(WEXITSTATUS(outcome.status), 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("serve"));
}

TEST(CliTest, ServeHelpListsFlagsAndExitsZero) {
  ASSERT_OK_AND_ASSIGN(Outcome outcome, RunSluice({"serve", "--help"}, /*capture_stdout=*/true));
  ASSERT_TRUE(WIFEXITED(outcome.status)) << DescribeWaitStatus(outcome.status);
  EXPECT_EQ(WEXITSTATUS(outcome.status), 0) << outcome.output;
  for (const char* flag : {"--host", "--port", "--workers", "--prefork", "--max-message-kb",
                           "--max-upload-mb", "--reconnect-grace"}) {
    EXPECT_THAT(outcome.output, HasSubstr(flag));
  }
}

TEST(CliTest, VersionExitsZero) {
  ASSERT_OK_AND_ASSIGN(Outcome outcome, RunSluice({"--version"}, /*capture_stdout=*/true));
  ASSERT_TRUE(WIFEXITED(outcome.status)) << DescribeWaitStatus(outcome.status);
  EXPECT_EQ(WEXITSTATUS(outcome.status), 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr(SLUICE_VERSION));
}

}  // namespace
}  // namespace sluice::testing
