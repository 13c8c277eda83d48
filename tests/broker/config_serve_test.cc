// `sluice serve --config`, `sluice check-config` and SIGHUP against the real
// broker: settings from a file take effect, a bad file stops the start with
// one line naming file, line and key, and SIGHUP applies the live settings
// and says which changed ones need a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <string>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/sluice_command.h"
#include "tests/support/status_macros.h"
#include "tests/support/temp_dir.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

auto Has(std::string text) {
  return [text](std::string_view line) { return line.find(text) != std::string_view::npos; };
}

// True if a tab opened now is told "busy" (false: it got a session).
absl::StatusOr<bool> NextTabIsBusy(uint16_t port) {
  WsClient tab;
  if (absl::Status connected = tab.Connect(port); !connected.ok()) return connected;
  if (absl::Status hello = tab.SendHello(); !hello.ok()) return hello;
  PageModel page;
  absl::StatusOr<NoticeInfo> notice = page.ReceiveUntilNotice(tab);
  if (notice.ok()) return notice->kind == ipc::Notice::Kind::BUSY;
  if (page.last_finished_run().has_value()) return false;
  return notice.status();
}

void ExpectExit(const CommandOutcome& outcome, int code) {
  ASSERT_TRUE(WIFEXITED(outcome.status)) << outcome.output;
  EXPECT_EQ(WEXITSTATUS(outcome.status), code) << outcome.output;
}

TEST(ConfigServeTest, ServesWithSettingsFromTheFile) {
  TempDir dir;
  std::string config = dir.Write("sluice.toml", "workers = 1\nprefork = 0\nmax-queue = 0\n");
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--config", config}));
  EXPECT_TRUE(
      broker->process().WaitForLine(Has("\"workers\":1,\"prefork\":0"), After(kStepTimeout)))
      << broker->process().Output();
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(bool busy, NextTabIsBusy(broker->port()));
  EXPECT_TRUE(busy) << "a second tab fit in workers = 1";
}

TEST(ConfigServeTest, FlagsOverrideTheFile) {
  TempDir dir;
  std::string config = dir.Write("sluice.toml", "workers = 1\n");
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(kStateApp, {"--config", config, "--workers", "3"}));
  EXPECT_TRUE(broker->process().WaitForLine(Has("\"workers\":3"), After(kStepTimeout)))
      << broker->process().Output();
}

TEST(ConfigServeTest, BadFileStopsTheStartWithOneLine) {
  TempDir dir;
  std::string config = dir.Write("sluice.toml", "port = 0\nworkers = \"many\"\n");
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, RunSluice({"serve", kStateApp, "--config", config}));
  ExpectExit(outcome, 2);
  ASSERT_THAT(outcome.lines, SizeIs(1)) << outcome.output;
  EXPECT_EQ(outcome.lines[0],
            "sluice serve: " + config + ":2: workers: expected an integer, got a string");

  config = dir.Write("other.toml", "port = 0\nmax-uploads-mb = 5\n");
  ASSERT_OK_AND_ASSIGN(outcome, RunSluice({"serve", kStateApp, "--config", config}));
  ExpectExit(outcome, 2);
  ASSERT_THAT(outcome.lines, SizeIs(1)) << outcome.output;
  EXPECT_THAT(outcome.lines[0], StartsWith("sluice serve: " + config + ":2: max-uploads-mb: "));
}

TEST(ConfigServeTest, CheckConfigSaysOkOrTheError) {
  TempDir dir;
  std::string good = dir.Write("good.toml", "workers = 8\ncache-size = \"64M\"\n");
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, RunSluice({"check-config", good}));
  ExpectExit(outcome, 0);
  ASSERT_THAT(outcome.lines, SizeIs(1)) << outcome.output;
  EXPECT_THAT(outcome.lines[0], StartsWith(good + ": ok"));
  EXPECT_THAT(outcome.lines[0], HasSubstr("workers, cache-size"));

  std::string bad = dir.Write("bad.toml", "workers = 8\n\nrerun-timeout = \"soon\"\n");
  ASSERT_OK_AND_ASSIGN(outcome, RunSluice({"check-config", bad}));
  ExpectExit(outcome, 2);
  ASSERT_THAT(outcome.lines, SizeIs(1)) << outcome.output;
  EXPECT_THAT(outcome.lines[0], StartsWith("sluice check-config: " + bad + ":3: rerun-timeout: "));

  ASSERT_OK_AND_ASSIGN(outcome,
                       RunSluice({"check-config", (dir.path() / "missing.toml").string()}));
  ExpectExit(outcome, 2);
  ASSERT_OK_AND_ASSIGN(outcome, RunSluice({"check-config"}));
  ExpectExit(outcome, 2);
}

TEST(ConfigServeTest, SighupAppliesLiveSettingsAndNamesTheOnesNeedingARestart) {
  TempDir dir;
  std::string config =
      dir.Write("sluice.toml", "workers = 2\nprefork = 0\nmax-queue = 0\ncache-size = \"64M\"\n");
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--config", config}));
  dir.Write(
      "sluice.toml",
      "workers = 1\nprefork = 0\nmax-queue = 0\ncache-size = \"32M\"\nlog-level = \"debug\"\n");
  ASSERT_OK(broker->process().Kill(SIGHUP));
  std::optional<std::string> line =
      broker->process().WaitForLine(Has("config_reloaded"), After(kStepTimeout));
  ASSERT_TRUE(line.has_value()) << broker->process().Output();
  EXPECT_THAT(*line, HasSubstr("\"applied\":\"workers,log-level\""));
  EXPECT_THAT(*line, HasSubstr("\"needs_restart\":\"cache-size\""));
  EXPECT_THAT(*line, HasSubstr("workers: 2 -> 1"));

  // workers = 1 holds: one tab fits, the next is told busy.
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(bool busy, NextTabIsBusy(broker->port()));
  EXPECT_TRUE(busy) << "a second tab fit after workers = 1 was reloaded";
  // log-level = "debug" holds: a dropped tab is now logged.
  first->client().Drop();
  EXPECT_TRUE(broker->process().WaitForLine(Has("\"page_dropped\""), After(kStepTimeout)))
      << broker->process().Output();
}

TEST(ConfigServeTest, SighupWithABadFileLogsItAndChangesNothing) {
  TempDir dir;
  std::string config = dir.Write("sluice.toml", "workers = 1\nprefork = 0\nmax-queue = 0\n");
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--config", config}));
  dir.Write("sluice.toml", "workers = 5\nmax-queue = 0\nprefork = [\n");
  ASSERT_OK(broker->process().Kill(SIGHUP));
  std::optional<std::string> line =
      broker->process().WaitForLine(Has("config_reload_failed"), After(kStepTimeout));
  ASSERT_TRUE(line.has_value()) << broker->process().Output();
  EXPECT_THAT(*line, HasSubstr(config + ":"));

  // Still serving, still with workers = 1.
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(bool busy, NextTabIsBusy(broker->port()));
  EXPECT_TRUE(busy) << "workers = 5 from a broken file was applied";
}

}  // namespace
}  // namespace sluice::testing
