// The operator's view of the cache: /metrics, /healthz, the admin clear
// endpoint and `sluice cache clear`, and the --cache-size and
// --admin-token-file flags. Real broker (and keeper) on a free loopback port.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <regex>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"
#include "tests/support/process_probe.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/sluice_command.h"
#include "tests/support/status_macros.h"
#include "tests/support/temp_file.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kToken[] = "correct-horse-battery-staple";

absl::StatusOr<Metrics> GetMetrics(const BrokerProcess& broker) {
  return sluice::testing::GetMetrics(broker.port());
}

std::string Bearer(const std::string& token) { return absl::StrCat("Bearer ", token); }

// `method` /admin/cache/clear, with `authorization` unless it is empty.
absl::StatusOr<HttpResponse> AskToClear(uint16_t port, std::string_view authorization,
                                        std::string_view method = "POST") {
  std::vector<HttpHeader> headers;
  if (!authorization.empty()) headers.emplace_back("Authorization", authorization);
  return HttpRequest(port, method, "/admin/cache/clear", headers, "", After(kStepTimeout));
}

// Live keeper processes under the broker.
std::vector<pid_t> KeepersOf(pid_t broker) {
  std::vector<pid_t> keepers;
  std::vector<pid_t> named = ProcessesWithCmdline("__keeper");
  for (pid_t pid : DescendantsOf(broker)) {
    if (std::find(named.begin(), named.end(), pid) != named.end()) keepers.push_back(pid);
  }
  return keepers;
}

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_,
                         BrokerProcess::Start(kCacheApp, {"--admin-token-file", token_.path()}));
  }

  std::string Url() const { return absl::StrCat("http://127.0.0.1:", broker_->port()); }

  TempFile token_{absl::StrCat(kToken, "\n")};
  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(AdminTest, MetricsHaveEverySeriesInPrometheusTextFormat) {
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(*broker_));
  const std::map<std::string, std::string> expected = {
      {"sluice_cache_hits_total", "counter"},
      {"sluice_cache_misses_total", "counter"},
      {"sluice_cache_inserts_total", "counter"},
      {"sluice_cache_evictions_total", "counter"},
      {"sluice_cache_single_flight_waits_total", "counter"},
      {"sluice_cache_clears_total", "counter"},
      {"sluice_cache_bytes_used", "gauge"},
      {"sluice_cache_entries", "gauge"},
      {"sluice_cache_size_bytes", "gauge"},
      {"sluice_sessions_live", "gauge"},
  };
  for (const auto& [name, type] : expected) {
    EXPECT_EQ(metrics.types[name], type) << name;
    EXPECT_TRUE(metrics.help.contains(name)) << name;
    EXPECT_TRUE(metrics.values.contains(name)) << name;
  }
  EXPECT_EQ(metrics.values["sluice_cache_size_bytes"], 1024.0 * 1024 * 1024);
  EXPECT_EQ(metrics.values["sluice_sessions_live"], 0);
}

TEST_F(AdminTest, MetricsFollowTheCacheAndClearWithTheRightTokenEmptiesIt) {
  // Two sessions: the first computes and publishes, the second hits.
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  std::string stamp = *first->page().TextStartingWith("table 3 rows 3 stamp ");
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  ASSERT_EQ(*second->page().TextStartingWith("table 3 rows 3 stamp "), stamp)
      << "the second session did not hit the first one's entry";

  ASSERT_OK_AND_ASSIGN(Metrics before, GetMetrics(*broker_));
  EXPECT_GE(before.values["sluice_cache_entries"], 1);
  EXPECT_GE(before.values["sluice_cache_inserts_total"], 1);
  EXPECT_GE(before.values["sluice_cache_misses_total"], 1);
  EXPECT_GT(before.values["sluice_cache_bytes_used"], 0);
  EXPECT_EQ(before.values["sluice_sessions_live"], 2);

  ASSERT_OK_AND_ASSIGN(HttpResponse cleared, AskToClear(broker_->port(), Bearer(kToken)));
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(cleared.body, match, std::regex(R"(\{"cleared":(\d+)\})")))
      << cleared.body;
  EXPECT_GE(std::stoi(match[1]), 1);
  ASSERT_OK_AND_ASSIGN(Metrics after, GetMetrics(*broker_));
  EXPECT_GE(after.values["sluice_cache_clears_total"], 1);
  EXPECT_TRUE(broker_->process()
                  .WaitForLine(
                      [](std::string_view line) {
                        return line.find("cache_cleared_by_operator") != std::string_view::npos;
                      },
                      After(kStepTimeout))
                  .has_value());
}

TEST_F(AdminTest, WrongOrMissingTokenIs401) {
  for (std::string authorization :
       {Bearer("wrong"), Bearer(""), std::string(""), std::string(kToken),
        Bearer(absl::StrCat(kToken, "x")), absl::StrCat("Basic ", kToken)}) {
    ASSERT_OK_AND_ASSIGN(HttpResponse response, AskToClear(broker_->port(), authorization));
    EXPECT_EQ(response.status, 401) << "Authorization: " << authorization;
  }
}

TEST_F(AdminTest, OtherMethodsAre405) {
  ASSERT_OK_AND_ASSIGN(HttpResponse response, AskToClear(broker_->port(), Bearer(kToken), "GET"));
  EXPECT_EQ(response.status, 405);
}

TEST_F(AdminTest, HealthzSaysTheCacheIsOn) {
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker_->Healthz());
  EXPECT_THAT(health.body, HasSubstr("\"cache\":\"on\""));
  EXPECT_THAT(KeepersOf(broker_->pid()), SizeIs(1));
}

TEST_F(AdminTest, CacheClearCommandClearsAndSaysHowMany) {
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, RunSluice({"cache", "clear", "--url", Url(),
                                                          "--token-file", token_.path()}));
  EXPECT_EQ(outcome.exit_code(), 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("cleared 0 cache entries"));
}

TEST_F(AdminTest, CacheClearCommandFailsClearlyOnABadToken) {
  TempFile wrong("not-the-token\n");
  ASSERT_OK_AND_ASSIGN(CommandOutcome outcome,
                       RunSluice({"cache", "clear", "--url", Url(), "--token-file", wrong.path()}));
  EXPECT_EQ(outcome.exit_code(), 1) << outcome.output;
  ASSERT_THAT(outcome.lines, SizeIs(1)) << outcome.output;
  EXPECT_THAT(outcome.lines[0], HasSubstr("401"));
}

TEST_F(AdminTest, KeeperDeathIsReportedAndTheServerGoesOn) {
  std::vector<pid_t> keepers = KeepersOf(broker_->pid());
  ASSERT_THAT(keepers, SizeIs(1));
  ASSERT_EQ(::kill(keepers[0], SIGKILL), 0);
  ASSERT_TRUE(broker_->process()
                  .WaitForLine(
                      [](std::string_view line) {
                        return line.find("\"cache_keeper_lost\"") != std::string_view::npos;
                      },
                      After(kStepTimeout))
                  .has_value())
      << broker_->process().Output();
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker_->Healthz());
  EXPECT_THAT(health.body, HasSubstr("\"cache\":\"keeper_lost\""));
  ASSERT_OK_AND_ASSIGN(HttpResponse cleared, AskToClear(broker_->port(), Bearer(kToken)));
  EXPECT_EQ(cleared.status, 503);
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(*broker_));
  EXPECT_EQ(metrics.values["sluice_cache_up"], 0);
  // New sessions still run, computing without the shared cache.
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  EXPECT_TRUE(tab->page().TextStartingWith("table 3 rows 3 stamp ").has_value())
      << tab->page().DebugString();
}

TEST(AdminOffTest, WithoutATokenFileTheAdminEndpointIs404) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp));
  ASSERT_OK_AND_ASSIGN(HttpResponse response, AskToClear(broker->port(), Bearer(kToken)));
  EXPECT_EQ(response.status, 404);
  TempFile token(kToken);
  ASSERT_OK_AND_ASSIGN(
      CommandOutcome outcome,
      RunSluice({"cache", "clear", "--url", absl::StrCat("http://127.0.0.1:", broker->port()),
                 "--token-file", token.path()}));
  EXPECT_EQ(outcome.exit_code(), 1) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("404"));
}

TEST(CacheSizeTest, ZeroTurnsTheCacheOff) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kCacheApp, {"--cache-size", "0"}));
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker->Healthz());
  EXPECT_THAT(health.body, HasSubstr("\"cache\":\"off\""));
  EXPECT_THAT(KeepersOf(broker->pid()), SizeIs(0));
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(*broker));
  EXPECT_EQ(metrics.values["sluice_cache_size_bytes"], 0);
  // Cached functions just run.
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  EXPECT_TRUE(tab->page().TextStartingWith("table 3 rows 3 stamp ").has_value())
      << tab->page().DebugString();
}

TEST(CacheSizeTest, SuffixesAreAccepted) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--cache-size", "8MiB"}));
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(*broker));
  EXPECT_EQ(metrics.values["sluice_cache_size_bytes"], 8.0 * 1024 * 1024);
}

TEST(CacheSizeTest, BadValuesAreRejectedWithOneLine) {
  for (std::string value : {"lots", "12X", "-1", "1000", "1.5G", "", "99999999999999G"}) {
    ASSERT_OK_AND_ASSIGN(CommandOutcome outcome,
                         RunSluice({"serve", kStateApp, "--port", "0", "--cache-size", value}));
    EXPECT_EQ(outcome.exit_code(), 2) << value << ": " << outcome.output;
    ASSERT_THAT(outcome.lines, SizeIs(1)) << value << ": " << outcome.output;
    EXPECT_THAT(outcome.lines[0], HasSubstr("--cache-size")) << value;
  }
}

TEST(AdminTokenFileTest, UnreadableOrEmptyFileIsAnErrorBeforeAnythingStarts) {
  TempFile empty(" \n");
  for (std::string file : {std::string("/nonexistent/sluice-token"), empty.path()}) {
    ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, RunSluice({"serve", kStateApp, "--port", "0",
                                                            "--admin-token-file", file}));
    EXPECT_EQ(outcome.exit_code(), 2) << file << ": " << outcome.output;
    ASSERT_THAT(outcome.lines, SizeIs(1)) << file << ": " << outcome.output;
    EXPECT_THAT(outcome.lines[0], HasSubstr(file));
  }
}

TEST(CacheCommandTest, UsageErrorsExitWith2) {
  TempFile token(kToken);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"cache", "clear"},
        {"cache", "clear", "--token-file", "/nonexistent/sluice-token"},
        {"cache", "clear", "--token-file", token.path(), "--url", "ftp://x"},
        {"cache", "clear", "--token-file", token.path(), "--bogus", "1"},
        {"cache", "flush"}}) {
    ASSERT_OK_AND_ASSIGN(CommandOutcome outcome, RunSluice(args));
    EXPECT_EQ(outcome.exit_code(), 2) << outcome.output;
    EXPECT_THAT(outcome.lines, SizeIs(1)) << outcome.output;
  }
}

TEST(CacheCommandTest, UnreachableServerExitsWith1) {
  TempFile token(kToken);
  // Port 1 on loopback: nothing listens there.
  ASSERT_OK_AND_ASSIGN(
      CommandOutcome outcome,
      RunSluice({"cache", "clear", "--url", "http://127.0.0.1:1", "--token-file", token.path()}));
  EXPECT_EQ(outcome.exit_code(), 1) << outcome.output;
  ASSERT_THAT(outcome.lines, SizeIs(1)) << outcome.output;
  EXPECT_THAT(outcome.lines[0], HasSubstr("cannot reach"));
}

}  // namespace
}  // namespace sluice::testing
