// Secrets end to end: a secrets.toml beside the config reaches app code
// through st::secrets(), never shows in the broker's logs or /metrics, is
// refused when every user could read it or when it is malformed (without
// quoting it), and a worker cannot open the file itself.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/fnv1a.h"
#include "tests/support/sluice_command.h"
#include "tests/support/status_macros.h"
#include "tests/support/temp_dir.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

const std::string kSecretsApp = SLUICE_SECRETS_APP;

constexpr char kApiKey[] = "sk-live-7f3a9c1e5b2d4068";
constexpr char kDbPassword[] = "correct horse battery staple";

std::string SecretsToml() {
  return std::string("api_key = \"") + kApiKey + "\"\n\n[db]\npassword = \"" + kDbPassword + "\"\n";
}

std::string Shown(std::string_view key, std::string_view value) {
  return std::string(key) + " length " + std::to_string(value.size()) + " checksum " +
         std::to_string(Fnv1a(value));
}

TEST(SecretsTest, SecretsBesideTheConfigReachTheApp) {
  TempDir dir;
  std::string config = dir.Write("sluice.toml", "workers = 4\n");
  dir.Write("secrets.toml", SecretsToml(), 0600);
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kSecretsApp, {"--config", config}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  EXPECT_TRUE(tab->page().HasText("secrets: 2")) << tab->page().DebugString();
  EXPECT_TRUE(tab->page().HasText(Shown("api_key", kApiKey))) << tab->page().DebugString();
  EXPECT_TRUE(tab->page().HasText(Shown("db.password", kDbPassword))) << tab->page().DebugString();
}

TEST(SecretsTest, NoSecretsFileMeansAnEmptyView) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kSecretsApp));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  EXPECT_TRUE(tab->page().HasText("secrets: 0")) << tab->page().DebugString();
}

TEST(SecretsTest, SecretsNeverAppearInLogsOrMetrics) {
  TempDir dir;
  std::string secrets = dir.Write("vault.toml", SecretsToml(), 0600);
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kSecretsApp, {"--secrets", secrets,
                                                                       "--log-level", "debug"}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  ASSERT_TRUE(tab->page().HasText(Shown("api_key", kApiKey))) << tab->page().DebugString();
  ASSERT_OK(tab->Change("open", WidgetInput::Text("/nonexistent")));
  ASSERT_OK_AND_ASSIGN(HttpResponse metrics,
                       HttpGet(broker->port(), "/metrics", After(kStepTimeout)));
  ASSERT_EQ(metrics.status, 200);
  ASSERT_OK(tab->client().Close());
  ASSERT_TRUE(broker->process().WaitForLine(
      [](std::string_view line) { return line.find("session_ended") != std::string_view::npos; },
      After(kStepTimeout)));

  std::string logs = broker->process().Output();
  EXPECT_THAT(logs, HasSubstr("secrets_loaded"));  // the zygote's line, with the count only
  for (std::string_view value : {std::string_view(kApiKey), std::string_view(kDbPassword)}) {
    EXPECT_THAT(logs, Not(HasSubstr(value)));
    EXPECT_THAT(metrics.body, Not(HasSubstr(value)));
  }
}

absl::StatusOr<CommandOutcome> ServeExpectingRefusal(const std::string& secrets,
                                                     std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"serve", kSecretsApp, "--port", "0", "--secrets", secrets};
  args.insert(args.end(), more.begin(), more.end());
  return RunSluice(std::move(args));
}

void ExpectRefused(const CommandOutcome& outcome, std::string_view why) {
  ASSERT_TRUE(WIFEXITED(outcome.status)) << outcome.output;
  EXPECT_EQ(WEXITSTATUS(outcome.status), 2) << outcome.output;
  ASSERT_THAT(outcome.lines, SizeIs(1)) << outcome.output;
  EXPECT_THAT(outcome.lines[0], HasSubstr(why));
}

TEST(SecretsTest, WorldReadableFileIsRefused) {
  TempDir dir;
  std::string secrets = dir.Write("secrets.toml", SecretsToml(), 0644);
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, ServeExpectingRefusal(secrets));
  ExpectRefused(outcome, "readable by every user (mode 0644)");
  ASSERT_OK_AND_ASSIGN(outcome, RunSluice({"check-config", dir.Write("c.toml", "")}));
  ASSERT_TRUE(WIFEXITED(outcome.status));
  EXPECT_EQ(WEXITSTATUS(outcome.status), 2) << outcome.output;
}

TEST(SecretsTest, MalformedFileIsRefusedWithoutQuotingIt) {
  TempDir dir;
  std::string secrets =
      dir.Write("secrets.toml", std::string("ok = \"fine\"\npassword = \"") + kDbPassword, 0600);
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, ServeExpectingRefusal(secrets));
  ExpectRefused(outcome, secrets + ":2:");
  EXPECT_THAT(outcome.output, Not(HasSubstr(kDbPassword)));

  // A key that would be no name, or would collide once keys are joined with
  // dots (found by fuzz/secrets_file).
  secrets = dir.Write("keys.toml", "ok = \"fine\"\n\"\" = \"sk-0\"\n", 0600);
  ASSERT_OK_AND_ASSIGN(outcome, ServeExpectingRefusal(secrets));
  ExpectRefused(outcome, secrets + ":2: a key is empty or holds a dot");
  secrets = dir.Write("dotted.toml", "[db]\n\"pass.word\" = \"x\"\n", 0600);
  ASSERT_OK_AND_ASSIGN(outcome, ServeExpectingRefusal(secrets));
  ExpectRefused(outcome, secrets + ":2: db: a key is empty or holds a dot");

  secrets = dir.Write("numbers.toml", "[db]\nport = 5432\n", 0600);
  ASSERT_OK_AND_ASSIGN(outcome, ServeExpectingRefusal(secrets));
  ExpectRefused(outcome, secrets + ":2: db.port: every secret must be a string");
  EXPECT_THAT(outcome.output, Not(HasSubstr("5432")));
}

TEST(SecretsTest, MissingNamedFileIsRefused) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome,
                       ServeExpectingRefusal((dir.path() / "nope.toml").string()));
  ExpectRefused(outcome, "nope.toml: No such file or directory");
}

TEST(SecretsTest, CheckConfigCountsSecretsWithoutShowingThem) {
  TempDir dir;
  std::string config = dir.Write("sluice.toml", "workers = 2\n");
  std::string secrets = dir.Write("secrets.toml", SecretsToml(), 0600);
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, RunSluice({"check-config", config}));
  ASSERT_TRUE(WIFEXITED(outcome.status) && WEXITSTATUS(outcome.status) == 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("secrets " + secrets + " (2 keys)"));
  EXPECT_THAT(outcome.output, Not(HasSubstr(kApiKey)));
  EXPECT_THAT(outcome.output, Not(HasSubstr(kDbPassword)));
}

TEST(SecretsTest, AllowReadThatShowsTheFileIsRefused) {
  TempDir dir;
  std::string secrets = dir.Write("secrets.toml", SecretsToml(), 0600);
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome,
                       ServeExpectingRefusal(secrets, {"--allow-read", dir.path().string()}));
  ExpectRefused(outcome, "would show it to every worker");
}

// At strict the file is outside the worker's mount view; at standard (as
// root, as here) the worker runs as its own uid and the file is 0600.
class SecretsFileClosedToWorkers : public ::testing::TestWithParam<const char*> {};

TEST_P(SecretsFileClosedToWorkers, WorkerCannotOpenTheFile) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: workers otherwise share the broker's uid";
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // only the file itself is closed
  std::string secrets = dir.Write("secrets.toml", SecretsToml(), 0600);
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kSecretsApp, {"--secrets", secrets,
                                                                       "--sandbox", GetParam()}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  ASSERT_TRUE(tab->page().HasText(Shown("api_key", kApiKey))) << tab->page().DebugString();
  ASSERT_OK(tab->Change("open", WidgetInput::Text(secrets)));
  bool strict = std::string_view(GetParam()) == "strict";
  // strict: not in the mount view at all; standard: there, but not the worker's.
  EXPECT_TRUE(tab->page().HasText(strict ? "open failed: No such file or directory"
                                         : "open failed: Permission denied"))
      << tab->page().DebugString();
  EXPECT_FALSE(tab->page().HasText("open succeeded")) << tab->page().DebugString();
  if (!strict) {
    // The same directory's readable files stay readable: it is the mode that closes it.
    ASSERT_OK(tab->Change("open", WidgetInput::Text(dir.Write("public.txt", "hello", 0644))));
    EXPECT_TRUE(tab->page().HasText("open succeeded: read 5 bytes")) << tab->page().DebugString();
  }
}

// The usual layout puts the app, its config and its secrets in one
// directory: strict shows workers the app's file, not its directory.
TEST(SecretsTest, SecretsBesideTheAppStayHiddenAtStrict) {
  if (::geteuid() != 0) GTEST_SKIP() << "strict needs root here";
  TempDir dir;
  std::filesystem::path app = dir.path() / "app.so";
  std::filesystem::copy_file(kSecretsApp, app);
  std::string secrets = dir.Write("secrets.toml", SecretsToml(), 0600);
  std::string config = dir.Write("sluice.toml", "app = \"app.so\"\nsandbox = \"strict\"\n");
  // The app comes from the config file: "serve --config=FILE --host ... --port 0".
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start("--config=" + config));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  ASSERT_TRUE(tab->page().HasText(Shown("api_key", kApiKey))) << tab->page().DebugString();
  ASSERT_OK(tab->Change("open", WidgetInput::Text(secrets)));
  EXPECT_TRUE(tab->page().HasText("open failed: No such file or directory"))
      << tab->page().DebugString();
  ASSERT_OK(tab->Change("open", WidgetInput::Text(config)));
  EXPECT_TRUE(tab->page().HasText("open failed: No such file or directory"))
      << tab->page().DebugString();
}

INSTANTIATE_TEST_SUITE_P(Levels, SecretsFileClosedToWorkers,
                         ::testing::Values("strict", "standard"));

}  // namespace
}  // namespace sluice::testing
