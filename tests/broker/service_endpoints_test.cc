// What an operator watches and does while sluice runs as a service: /readyz,
// the session figures of /metrics, the session start and end log lines, and
// the admin session list and end. Real broker on a free loopback port.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <vector>

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
using ::testing::Not;

constexpr char kToken[] = "sessions-admin-token";

// Lets SIGSEGV kill a worker under AddressSanitizer too (see crash_test).
std::string AsanLetsSignalsKill() {
  const char* asan = std::getenv("ASAN_OPTIONS");
  return absl::StrCat("ASAN_OPTIONS=", asan ? absl::StrCat(asan, ":") : "",
                      "handle_segv=0:handle_abort=0");
}

absl::StatusOr<HttpResponse> Admin(uint16_t port, std::string_view method, std::string_view target,
                                   std::string_view token = kToken) {
  std::string authorization = absl::StrCat("Bearer ", std::string(token));
  std::vector<HttpHeader> headers;
  if (!token.empty()) headers.emplace_back("Authorization", authorization);
  return HttpRequest(port, method, target, headers, "", After(kStepTimeout));
}

bool MetricBecomes(uint16_t port, const std::string& series, double value) {
  return WaitUntil(
      [&] {
        absl::StatusOr<Metrics> metrics = GetMetrics(port);
        return metrics.ok() && metrics->Value(series) == value;
      },
      After(kStepTimeout));
}

std::optional<std::string> LogLine(BrokerProcess& broker, std::string_view event,
                                   std::string_view session) {
  return broker.process().WaitForLine(
      [&](std::string_view line) {
        return line.find(absl::StrCat("\"event\":\"", std::string(event), "\"")) !=
                   std::string_view::npos &&
               line.find(session) != std::string_view::npos;
      },
      After(kStepTimeout));
}

TEST(ServiceEndpointsTest, ReadyzOnceThePreforkPoolIsFilledAndNotWhenTheZygoteIsGone) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--prefork", "2"}));
  HttpResponse last;
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<HttpResponse> ready =
            HttpGet(broker->port(), "/readyz", After(kStepTimeout));
        if (ready.ok()) last = *ready;
        return ready.ok() && ready->status == 200;
      },
      After(kStepTimeout)))
      << last.status << " " << last.body;
  EXPECT_THAT(last.body, HasSubstr("\"ready\":true"));
  EXPECT_THAT(last.body, HasSubstr("\"warm_workers\":2"));

  // Workers are forked from the zygote and keep its command line; the
  // zygote is the first of them (descendants come parents first).
  std::optional<pid_t> zygote;
  std::vector<pid_t> named = ProcessesWithCmdline("__zygote");
  for (pid_t pid : DescendantsOf(broker->pid())) {
    if (std::find(named.begin(), named.end(), pid) != named.end()) {
      zygote = pid;
      break;
    }
  }
  ASSERT_TRUE(zygote.has_value());
  ASSERT_EQ(::kill(*zygote, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<HttpResponse> ready =
            HttpGet(broker->port(), "/readyz", After(kStepTimeout));
        if (ready.ok()) last = *ready;
        return ready.ok() && ready->status == 503;
      },
      After(kStepTimeout)))
      << last.status << " " << last.body;
  EXPECT_THAT(last.body, HasSubstr("\"ready\":false"));
  EXPECT_THAT(last.body, HasSubstr("\"reason\":\"zygote_down\""));
  // Alive all the same: /healthz is about the broker itself.
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker->Healthz());
  EXPECT_EQ(health.status, 200);
}

TEST(ServiceEndpointsTest, MetricsCountSessionsRerunsAndCrashesBySignal) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kCrashApp, {}, {AsanLetsSignalsKill()}));
  ASSERT_OK_AND_ASSIGN(Metrics before, GetMetrics(broker->port()));
  for (const char* family : {"sluice_rerun_duration_seconds", "sluice_session_start_seconds"}) {
    EXPECT_EQ(before.types[family], "histogram") << family;
  }
  for (const char* family : {"sluice_sessions_started_total", "sluice_sessions_ended_total",
                             "sluice_worker_crashes_total", "sluice_page_bytes_received_total",
                             "sluice_page_bytes_sent_total", "sluice_upload_bytes_total"}) {
    EXPECT_EQ(before.types[family], "counter") << family;
  }
  EXPECT_EQ(before.types["sluice_queue_length"], "gauge");
  EXPECT_EQ(before.Value("sluice_sessions_started_total"), 0);

  ASSERT_OK_AND_ASSIGN(auto closing, AppSession::Open(broker->port()));
  ASSERT_OK(closing->Click("Add one"));
  ASSERT_OK(closing->Click("Add one"));
  ASSERT_OK(closing->client().Close());
  ASSERT_TRUE(MetricBecomes(broker->port(), "sluice_sessions_ended_total{reason=\"closed\"}", 1));

  ASSERT_OK_AND_ASSIGN(auto crashing, AppSession::Open(broker->port()));
  ASSERT_OK(crashing->Send("Segfault", WidgetInput::Click()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo crashed, crashing->page().ReceiveUntilNotice(crashing->client()));
  ASSERT_EQ(crashed.kind, ipc::Notice::Kind::CRASHED) << crashed.message;
  ASSERT_TRUE(MetricBecomes(broker->port(), "sluice_sessions_ended_total{reason=\"crashed\"}", 1));

  ASSERT_OK_AND_ASSIGN(Metrics after, GetMetrics(broker->port()));
  EXPECT_EQ(after.Value("sluice_sessions_started_total"), 2);
  EXPECT_EQ(after.Value("sluice_worker_crashes_total{signal=\"SIGSEGV\"}"), 1);
  EXPECT_EQ(after.Value("sluice_sessions_live"), 0);
  // Two clicks answered by finished runs (the crash's run never finished).
  EXPECT_EQ(after.Value("sluice_rerun_duration_seconds_count"), 2);
  EXPECT_EQ(after.Value("sluice_rerun_duration_seconds_bucket{le=\"+Inf\"}"), 2);
  EXPECT_EQ(after.Value("sluice_session_start_seconds_count"), 2);
  EXPECT_GT(after.Value("sluice_session_start_seconds_sum"), 0);
  EXPECT_GT(after.Value("sluice_page_bytes_received_total"), 0);
  EXPECT_GT(after.Value("sluice_page_bytes_sent_total"), 0);
  // Buckets are cumulative: a wider one never holds fewer.
  EXPECT_LE(after.Value("sluice_rerun_duration_seconds_bucket{le=\"0.001\"}"),
            after.Value("sluice_rerun_duration_seconds_bucket{le=\"10\"}"));
  EXPECT_LE(after.Value("sluice_rerun_duration_seconds_bucket{le=\"10\"}"),
            after.Value("sluice_rerun_duration_seconds_bucket{le=\"+Inf\"}"));
}

TEST(ServiceEndpointsTest, SessionStartAndEndAreLoggedWithDurationReasonAndPeakMemory) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  std::string id = tab->page().session()->session_id;
  std::optional<std::string> started = LogLine(*broker, "session_started", id);
  ASSERT_TRUE(started.has_value()) << broker->process().Output();
  EXPECT_THAT(*started, HasSubstr("\"client\":\"127.0.0.1\""));
  // "pid" is the broker's own (every line has it); the worker's has its own name.
  EXPECT_THAT(*started, HasSubstr("\"worker_pid\":"));
  EXPECT_EQ(started->find("\"pid\":"), started->rfind("\"pid\":")) << "a key appears twice";

  ASSERT_OK(tab->client().Close());
  std::optional<std::string> ended = LogLine(*broker, "session_ended", id);
  ASSERT_TRUE(ended.has_value()) << broker->process().Output();
  EXPECT_THAT(*ended, HasSubstr("\"reason\":\"closed\""));
  EXPECT_TRUE(std::regex_search(*ended, std::regex(R"("duration_s":[0-9.e-]+)"))) << *ended;
  EXPECT_TRUE(std::regex_search(*ended, std::regex(R"("peak_rss_kb":[1-9][0-9]*)"))) << *ended;
}

class AdminSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_,
                         BrokerProcess::Start(kStateApp, {"--admin-token-file", token_.path()}));
  }
  uint16_t port() const { return broker_->port(); }

  TempFile token_{absl::StrCat(kToken, "\n")};
  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(AdminSessionsTest, ListShowsALiveSessionAndEndingItTellsItsPage) {
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(port()));
  ASSERT_OK_AND_ASSIGN(auto other, AppSession::Open(port()));
  std::string id = tab->page().session()->session_id;
  std::optional<pid_t> pid = tab->WorkerPid();
  ASSERT_TRUE(pid.has_value());

  ASSERT_OK_AND_ASSIGN(HttpResponse list, Admin(port(), "GET", "/admin/sessions"));
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_THAT(list.body, HasSubstr(absl::StrCat("{\"id\":\"", id, "\",\"pid\":", *pid, ",")));
  EXPECT_THAT(list.body, HasSubstr(other->page().session()->session_id));
  EXPECT_THAT(list.body, HasSubstr("\"client\":\"127.0.0.1\""));
  EXPECT_TRUE(std::regex_search(list.body, std::regex(R"("rss_kb":[1-9][0-9]*)"))) << list.body;
  EXPECT_TRUE(std::regex_search(list.body, std::regex(R"("age_s":[0-9]+)"))) << list.body;

  ASSERT_OK_AND_ASSIGN(HttpResponse ended,
                       Admin(port(), "DELETE", absl::StrCat("/admin/sessions/", id)));
  EXPECT_EQ(ended.status, 200) << ended.body;
  ASSERT_OK_AND_ASSIGN(NoticeInfo notice, tab->page().ReceiveUntilNotice(tab->client()));
  EXPECT_EQ(notice.kind, ipc::Notice::Kind::ENDED) << notice.message;
  EXPECT_THAT(notice.message, HasSubstr("ended by the server's operator"));
  EXPECT_OK(tab->page().ReceiveUntilClosed(tab->client()));
  EXPECT_TRUE(WaitForExit(*pid, After(kStepTimeout)));

  ASSERT_OK_AND_ASSIGN(HttpResponse after, Admin(port(), "GET", "/admin/sessions"));
  EXPECT_THAT(after.body, Not(HasSubstr(id)));
  EXPECT_THAT(after.body, HasSubstr(other->page().session()->session_id));
  ASSERT_OK(other->Click("Add one"));
  EXPECT_TRUE(other->page().HasText("clicks: 1"));
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(port()));
  EXPECT_EQ(metrics.Value("sluice_sessions_ended_total{reason=\"ended_by_operator\"}"), 1);
}

TEST_F(AdminSessionsTest, UnknownSessionIs404) {
  ASSERT_OK_AND_ASSIGN(HttpResponse ended, Admin(port(), "DELETE", "/admin/sessions/0123abcd"));
  EXPECT_EQ(ended.status, 404) << ended.body;
  EXPECT_THAT(ended.body, HasSubstr("no such session"));
}

TEST_F(AdminSessionsTest, WithoutTheTokenIs401AndNothingEnds) {
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(port()));
  std::string id = tab->page().session()->session_id;
  for (std::string_view token : {std::string_view(""), std::string_view("wrong")}) {
    ASSERT_OK_AND_ASSIGN(HttpResponse list, Admin(port(), "GET", "/admin/sessions", token));
    EXPECT_EQ(list.status, 401) << list.body;
    EXPECT_THAT(list.body, Not(HasSubstr(id)));
    ASSERT_OK_AND_ASSIGN(HttpResponse end,
                         Admin(port(), "DELETE", absl::StrCat("/admin/sessions/", id), token));
    EXPECT_EQ(end.status, 401) << end.body;
  }
  ASSERT_OK(tab->Click("Add one"));
  EXPECT_TRUE(tab->page().HasText("clicks: 1"));
}

TEST_F(AdminSessionsTest, WrongMethodIs405) {
  ASSERT_OK_AND_ASSIGN(HttpResponse list, Admin(port(), "POST", "/admin/sessions"));
  EXPECT_EQ(list.status, 405) << list.body;
}

TEST_F(AdminSessionsTest, SessionsCommandListsAndEnds) {
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(port()));
  std::string id = tab->page().session()->session_id;
  std::string url = absl::StrCat("http://127.0.0.1:", port());

  ASSERT_OK_AND_ASSIGN(CommandOutcome list, RunSluice({"sessions", "list", "--url", url,
                                                       "--token-file", token_.path()}));
  EXPECT_EQ(list.exit_code(), 0) << list.output;
  EXPECT_THAT(list.output, HasSubstr(absl::StrCat("\"id\":\"", id, "\"")));

  ASSERT_OK_AND_ASSIGN(CommandOutcome end, RunSluice({"sessions", "end", id, "--url", url,
                                                      "--token-file", token_.path()}));
  EXPECT_EQ(end.exit_code(), 0) << end.output;
  EXPECT_THAT(end.output, HasSubstr(absl::StrCat("ended session ", id)));
  ASSERT_OK_AND_ASSIGN(NoticeInfo notice, tab->page().ReceiveUntilNotice(tab->client()));
  EXPECT_THAT(notice.message, HasSubstr("ended by the server's operator"));

  ASSERT_OK_AND_ASSIGN(CommandOutcome again, RunSluice({"sessions", "end", id, "--url", url,
                                                        "--token-file", token_.path()}));
  EXPECT_EQ(again.exit_code(), 1) << again.output;
  EXPECT_THAT(again.output, HasSubstr(absl::StrCat("no session ", id)));

  TempFile wrong("not-the-token\n");
  ASSERT_OK_AND_ASSIGN(CommandOutcome refused,
                       RunSluice({"sessions", "list", "--url", url, "--token-file", wrong.path()}));
  EXPECT_EQ(refused.exit_code(), 1) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("401"));

  ASSERT_OK_AND_ASSIGN(CommandOutcome bad_id,
                       RunSluice({"sessions", "end", "../cache/clear", "--url", url, "--token-file",
                                  token_.path()}));
  EXPECT_EQ(bad_id.exit_code(), 2) << bad_id.output;
}

TEST(AdminSessionsOffTest, WithoutATokenFileTheEndpointsAre404) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp));
  ASSERT_OK_AND_ASSIGN(HttpResponse list, Admin(broker->port(), "GET", "/admin/sessions"));
  EXPECT_EQ(list.status, 404);
}

}  // namespace
}  // namespace sluice::testing
