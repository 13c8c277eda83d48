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
#include "tests/support/sluice_command.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::vector<std::string> ServeArgs(const std::string& app, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"serve", app, "--host", "127.0.0.1", "--port", "0"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// `outcome` is from RunSluice(..., /*capture_stdout=*/false): its lines are
// stderr's alone.
void ExpectUsageError(const CommandOutcome& outcome, const ::testing::Matcher<std::string>& line) {
  ASSERT_TRUE(WIFEXITED(outcome.status)) << DescribeWaitStatus(outcome.status);
  EXPECT_EQ(WEXITSTATUS(outcome.status), 2) << outcome.output;
  ASSERT_THAT(outcome.lines, SizeIs(1)) << outcome.output;
  EXPECT_THAT(outcome.lines[0], line);
}

TEST(CliTest, BadFlagExitsWith2) {
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, RunSluice(ServeArgs(kStateApp, {"--no-such-flag"}),
                                                         /*capture_stdout=*/false));
  ExpectUsageError(outcome, HasSubstr("no-such-flag"));
}

TEST(CliTest, BadFlagValueExitsWith2) {
  ASSERT_OK_AND_ASSIGN(
      CommandOutcome outcome,
      RunSluice(ServeArgs(kStateApp, {"--workers", "many"}), /*capture_stdout=*/false));
  ExpectUsageError(outcome, AnyOf(HasSubstr("workers"), HasSubstr("many")));
}

TEST(CliTest, MaxUploadMbMustBeAPositiveWholeNumber) {
  for (const char* value : {"0", "-5", "2.5", "lots"}) {
    ASSERT_OK_AND_ASSIGN(
        CommandOutcome outcome,
        RunSluice(ServeArgs(kStateApp, {"--max-upload-mb", value}), /*capture_stdout=*/false));
    ExpectUsageError(outcome, HasSubstr("--max-upload-mb"));
  }
}

TEST(CliTest, MissingAppExitsWith2) {
  std::string missing = "/nonexistent/sluice-test/missing_app.so";
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome,
                       RunSluice(ServeArgs(missing), /*capture_stdout=*/false));
  ExpectUsageError(outcome, HasSubstr("missing_app.so"));
}

TEST(CliTest, PlainFileIsNotAnApp) {
  std::filesystem::path file = std::filesystem::temp_directory_path() /
                               ("sluice-cli-test-" + std::to_string(getpid()) + ".so");
  std::ofstream(file) << "this is not a shared library\n";
  absl::StatusOr<CommandOutcome> outcome =
      RunSluice(ServeArgs(file.string()), /*capture_stdout=*/false);
  std::filesystem::remove(file);
  ASSERT_OK(outcome);
  ExpectUsageError(*outcome, HasSubstr(file.filename().string()));
}

TEST(CliTest, SharedLibraryWithoutAppIsNotAnApp) {
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome,
                       RunSluice(ServeArgs(kNotAnApp), /*capture_stdout=*/false));
  ExpectUsageError(outcome, HasSubstr("not_an_app"));
}

TEST(CliTest, TakenPortExitsWith2) {
  namespace net = boost::asio;
  net::io_context context;
  net::ip::tcp::acceptor holder(context,
                                net::ip::tcp::endpoint(net::ip::address_v4::loopback(), 0));
  std::string port = std::to_string(holder.local_endpoint().port());
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome,
                       RunSluice({"serve", kStateApp, "--host", "127.0.0.1", "--port", port},
                                 /*capture_stdout=*/false));
  ExpectUsageError(outcome, AnyOf(HasSubstr(port), HasSubstr("in use")));
}

TEST(CliTest, HelpExitsZero) {
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, RunSluice({"--help"}));
  ASSERT_TRUE(WIFEXITED(outcome.status)) << DescribeWaitStatus(outcome.status);
  EXPECT_EQ(WEXITSTATUS(outcome.status), 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("serve"));
}

TEST(CliTest, ServeHelpListsFlagsAndExitsZero) {
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, RunSluice({"serve", "--help"}));
  ASSERT_TRUE(WIFEXITED(outcome.status)) << DescribeWaitStatus(outcome.status);
  EXPECT_EQ(WEXITSTATUS(outcome.status), 0) << outcome.output;
  for (const char* flag : {"--host", "--port", "--workers", "--prefork", "--max-message-kb",
                           "--max-upload-mb", "--reconnect-grace"}) {
    EXPECT_THAT(outcome.output, HasSubstr(flag));
  }
}

TEST(CliTest, VersionExitsZero) {
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, RunSluice({"--version"}));
  ASSERT_TRUE(WIFEXITED(outcome.status)) << DescribeWaitStatus(outcome.status);
  EXPECT_EQ(WEXITSTATUS(outcome.status), 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr(SLUICE_VERSION));
}

}  // namespace
}  // namespace sluice::testing
