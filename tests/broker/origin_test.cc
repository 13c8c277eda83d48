// Cross-site WebSocket hijacking, against the real broker: a page on
// another site cannot open a session (403, logged, counted, no worker
// taken), while the broker's own page, clients that send no Origin, and the
// origins an operator lists with --allowed-origins can.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/sluice_command.h"
#include "tests/support/status_macros.h"
#include "tests/support/temp_dir.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEvilOrigin[] = "http://evil.example";

std::string OwnOrigin(const BrokerProcess& broker) {
  return absl::StrCat("http://127.0.0.1:", broker.port());
}

// Connects a client with `origin` and, if the upgrade is accepted, says
// hello and waits for the first run: a session that works.
absl::Status OpenWithOrigin(const BrokerProcess& broker, std::string_view origin) {
  absl::StatusOr<std::unique_ptr<AppSession>> tab =
      AppSession::Open(broker.port(), "", After(kStepTimeout), "", origin);
  if (!tab.ok()) return tab.status();
  if (!(*tab)->page().HasText("clicks: 0")) {
    return absl::DataLossError("the app did not run\n" + (*tab)->page().DebugString());
  }
  return absl::OkStatus();
}

TEST(OriginTest, UpgradeFromAnotherSiteIsRefusedLoggedAndStartsNoSession) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--cache-size", "0"}));
  WsClient client;
  client.SetOrigin(kEvilOrigin);
  absl::Status connected = client.Connect(broker->port());
  EXPECT_EQ(connected.code(), absl::StatusCode::kPermissionDenied) << connected;
  EXPECT_THAT(connected.message(), HasSubstr("403"));

  std::optional<std::string> line = broker->process().WaitForLine(
      [](std::string_view l) { return l.find("\"websocket_origin_refused\"") != l.npos; },
      After(kStepTimeout));
  ASSERT_TRUE(line) << broker->process().Output();
  EXPECT_THAT(*line, HasSubstr("\"origin\":\"http://evil.example\""));
  EXPECT_THAT(*line, HasSubstr(absl::StrCat("\"host\":\"127.0.0.1:", broker->port(), "\"")));

  EXPECT_THAT(broker->SessionsFromHealthz(), absl::StatusOr<int>(0));
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker->port()));
  EXPECT_EQ(metrics.Value("sluice_websocket_origin_refused_total"), 1);
  EXPECT_EQ(metrics.Value("sluice_sessions_started_total"), 0);
  EXPECT_THAT(broker->process().Output(), Not(HasSubstr("\"session_started\"")));

  // Another port of the same host is another origin too.
  WsClient other_port;
  other_port.SetOrigin(absl::StrCat("http://127.0.0.1:", broker->port() + 1));
  EXPECT_EQ(other_port.Connect(broker->port()).code(), absl::StatusCode::kPermissionDenied);
}

TEST(OriginTest, TheBrokersOwnPageAndClientsWithoutOriginOpenSessions) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--cache-size", "0"}));
  EXPECT_OK(OpenWithOrigin(*broker, OwnOrigin(*broker)));
  // Host and scheme are compared without regard to case.
  EXPECT_OK(OpenWithOrigin(*broker, absl::StrCat("HTTP://127.0.0.1:", broker->port())));
  EXPECT_OK(OpenWithOrigin(*broker, ""));  // no Origin header: not a browser
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker->port()));
  EXPECT_EQ(metrics.Value("sluice_websocket_origin_refused_total"), 0);
}

TEST(OriginTest, ListedOriginOpensASessionAndOthersStillDoNot) {
  ASSERT_OK_AND_ASSIGN(
      auto broker, BrokerProcess::Start(kStateApp, {"--cache-size", "0", "--allowed-origins",
                                                    "https://dashboards.example.com",
                                                    "--allowed-origins", "http://10.0.0.5:8080"}));
  EXPECT_OK(OpenWithOrigin(*broker, "https://dashboards.example.com"));
  EXPECT_OK(OpenWithOrigin(*broker, "http://10.0.0.5:8080"));
  EXPECT_OK(OpenWithOrigin(*broker, OwnOrigin(*broker)));
  EXPECT_EQ(OpenWithOrigin(*broker, kEvilOrigin).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(OpenWithOrigin(*broker, "http://dashboards.example.com").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(OriginTest, StarAllowsEveryOriginAndIsWarnedAboutAtStart) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--cache-size", "0",
                                                                     "--allowed-origins", "*"}));
  EXPECT_THAT(broker->process().Output(), HasSubstr("\"any_origin_allowed\""));
  EXPECT_OK(OpenWithOrigin(*broker, kEvilOrigin));
  EXPECT_OK(OpenWithOrigin(*broker, "null"));
}

// allowed-origins is live: SIGHUP applies it to the next upgrade, and a
// "*" that SIGHUP brings in is warned about too.
TEST(OriginTest, SighupChangesTheAllowedOrigins) {
  TempDir dir;
  std::string config = dir.Write("sluice.toml", "cache-size = 0\n");
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--config", config}));
  EXPECT_EQ(OpenWithOrigin(*broker, "https://dashboards.example.com").code(),
            absl::StatusCode::kPermissionDenied);

  dir.Write("sluice.toml",
            "cache-size = 0\nallowed-origins = [\"https://dashboards.example.com\"]\n");
  ASSERT_OK(broker->process().Kill(SIGHUP));
  std::optional<std::string> line = broker->process().WaitForLine(
      [](std::string_view l) { return l.find("\"config_reloaded\"") != l.npos; },
      After(kStepTimeout));
  ASSERT_TRUE(line) << broker->process().Output();
  EXPECT_THAT(*line, HasSubstr("\"applied\":\"allowed-origins\""));
  EXPECT_OK(OpenWithOrigin(*broker, "https://dashboards.example.com"));
  EXPECT_EQ(OpenWithOrigin(*broker, kEvilOrigin).code(), absl::StatusCode::kPermissionDenied);

  dir.Write("sluice.toml", "cache-size = 0\nallowed-origins = [\"*\"]\n");
  ASSERT_OK(broker->process().Kill(SIGHUP));
  EXPECT_TRUE(broker->process().WaitForLine(
      [](std::string_view l) { return l.find("\"any_origin_allowed\"") != l.npos; },
      After(kStepTimeout)))
      << broker->process().Output();
  EXPECT_OK(OpenWithOrigin(*broker, kEvilOrigin));
}

TEST(OriginTest, AnInvalidAllowedOriginIsAStartError) {
  ASSERT_OK_AND_ASSIGN(CommandOutcome result, RunSluice({"serve", kStateApp, "--allowed-origins",
                                                         "dashboards.example.com"}));
  EXPECT_EQ(result.exit_code(), 2);
  EXPECT_THAT(result.output, HasSubstr("--allowed-origins: expected an origin like"));
}

}  // namespace
}  // namespace sluice::testing
