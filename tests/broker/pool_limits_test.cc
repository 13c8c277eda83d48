// The worker pool's limits as a viewer meets them: a tab that finds every
// worker in use waits in line and sees its place move up, gets "server busy"
// when the line is full or its wait runs out; one client address gets at
// most --max-sessions-per-ip sessions; a session left alone for
// --idle-timeout is ended with a message. Real broker, real WebSockets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

// A tab that said hello and has not (yet) got a session.
struct WaitingTab {
  WsClient client;
  PageModel page;
};

absl::StatusOr<std::unique_ptr<WaitingTab>> Hello(uint16_t port) {
  auto tab = std::make_unique<WaitingTab>();
  if (absl::Status status = tab->client.Connect(port); !status.ok()) return status;
  if (absl::Status status = tab->client.SendHello(); !status.ok()) return status;
  return tab;
}

bool SessionsBecome(const BrokerProcess& broker, int sessions) {
  return WaitUntil(
      [&] {
        absl::StatusOr<int> live = broker.SessionsFromHealthz();
        return live.ok() && *live == sessions;
      },
      After(kStepTimeout));
}

TEST(PoolLimitsTest, QueuedTabSeesItsPlaceMoveUpAndGetsTheFreedWorker) {
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(kStateApp, {"--workers", "1", "--max-queue", "5"}));
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));

  ASSERT_OK_AND_ASSIGN(auto second, Hello(broker->port()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo second_place, second->page.ReceiveUntilNotice(second->client));
  EXPECT_EQ(second_place.kind, ipc::Notice::Kind::QUEUED) << second_place.message;
  EXPECT_EQ(second_place.position, 1u);
  EXPECT_THAT(second_place.message, HasSubstr("number 1 in line"));

  ASSERT_OK_AND_ASSIGN(auto third, Hello(broker->port()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo third_place, third->page.ReceiveUntilNotice(third->client));
  EXPECT_EQ(third_place.kind, ipc::Notice::Kind::QUEUED) << third_place.message;
  EXPECT_EQ(third_place.position, 2u);

  ASSERT_OK_AND_ASSIGN(Metrics queued, GetMetrics(broker->port()));
  EXPECT_EQ(queued.Value("sluice_queue_length"), 2);

  // The second tab closes while it waits: it leaves the line and the third
  // moves up.
  ASSERT_OK(second->client.Close());
  ASSERT_OK_AND_ASSIGN(NoticeInfo moved, third->page.ReceiveUntilNotice(third->client));
  EXPECT_EQ(moved.kind, ipc::Notice::Kind::QUEUED) << moved.message;
  EXPECT_EQ(moved.position, 1u);

  // The session ends: the waiting tab gets its worker and the app runs.
  ASSERT_OK(first->client().Close());
  absl::Status run = third->page.RunUntilFinished(third->client);
  ASSERT_TRUE(run.ok()) << run << "\n" << third->page.DebugString();
  ASSERT_TRUE(third->page.session().has_value());
  EXPECT_TRUE(third->page.HasText("clicks: 0")) << third->page.DebugString();
  EXPECT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<Metrics> metrics = GetMetrics(broker->port());
        return metrics.ok() && metrics->Value("sluice_queue_length") == 0;
      },
      After(kStepTimeout)));
}

TEST(PoolLimitsTest, FullQueueAnswersBusyAtOnce) {
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(kStateApp, {"--workers", "1", "--max-queue", "1"}));
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(auto waiting, Hello(broker->port()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo place, waiting->page.ReceiveUntilNotice(waiting->client));
  ASSERT_EQ(place.kind, ipc::Notice::Kind::QUEUED);

  ASSERT_OK_AND_ASSIGN(auto turned_away, Hello(broker->port()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo busy, turned_away->page.ReceiveUntilNotice(turned_away->client));
  EXPECT_EQ(busy.kind, ipc::Notice::Kind::BUSY) << busy.message;
  EXPECT_THAT(busy.message, HasSubstr("busy"));
  EXPECT_OK(turned_away->page.ReceiveUntilClosed(turned_away->client));

  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker->port()));
  EXPECT_EQ(metrics.Value("sluice_sessions_rejected_total{reason=\"queue_full\"}"), 1);
}

TEST(PoolLimitsTest, NoQueueAnswersBusyAtOnce) {
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(kStateApp, {"--workers", "1", "--max-queue", "0"}));
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(auto turned_away, Hello(broker->port()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo busy, turned_away->page.ReceiveUntilNotice(turned_away->client));
  EXPECT_EQ(busy.kind, ipc::Notice::Kind::BUSY) << busy.message;
}

TEST(PoolLimitsTest, QueueTimeoutGivesServerBusy) {
  ASSERT_OK_AND_ASSIGN(
      auto broker, BrokerProcess::Start(kStateApp, {"--workers", "1", "--queue-timeout", "1s"}));
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(auto waiting, Hello(broker->port()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo place, waiting->page.ReceiveUntilNotice(waiting->client));
  ASSERT_EQ(place.kind, ipc::Notice::Kind::QUEUED);

  ASSERT_OK_AND_ASSIGN(NoticeInfo busy, waiting->page.ReceiveUntilNotice(waiting->client));
  EXPECT_EQ(busy.kind, ipc::Notice::Kind::BUSY) << busy.message;
  EXPECT_THAT(busy.message, HasSubstr("no place became free"));
  EXPECT_OK(waiting->page.ReceiveUntilClosed(waiting->client));
  EXPECT_FALSE(waiting->page.session().has_value());

  // The session that had the worker is untouched.
  ASSERT_OK(first->Click("Add one"));
  EXPECT_TRUE(first->page().HasText("clicks: 1"));
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker->port()));
  EXPECT_EQ(metrics.Value("sluice_sessions_rejected_total{reason=\"queue_timeout\"}"), 1);
  EXPECT_EQ(metrics.Value("sluice_queue_length"), 0);
}

TEST(PoolLimitsTest, OneAddressGetsAtMostMaxSessionsPerIp) {
  ASSERT_OK_AND_ASSIGN(
      auto broker,
      BrokerProcess::Start(kStateApp, {"--workers", "4", "--max-sessions-per-ip", "2"}));
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker->port()));

  ASSERT_OK_AND_ASSIGN(auto third, Hello(broker->port()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo busy, third->page.ReceiveUntilNotice(third->client));
  EXPECT_EQ(busy.kind, ipc::Notice::Kind::BUSY) << busy.message;
  EXPECT_THAT(busy.message, HasSubstr("This address already has 2 sessions"));
  EXPECT_OK(third->page.ReceiveUntilClosed(third->client));

  // A resumed session is the same session: it is not refused.
  std::string token = second->page().session()->reconnect_token;
  second->client().Drop();
  ASSERT_OK_AND_ASSIGN(auto resumed, AppSession::Open(broker->port(), token));
  EXPECT_TRUE(resumed->page().session()->resumed);

  // Once one ends, the address may start another.
  ASSERT_OK(first->client().Close());
  ASSERT_TRUE(SessionsBecome(*broker, 1));
  ASSERT_OK_AND_ASSIGN(auto again, AppSession::Open(broker->port()));
  EXPECT_TRUE(again->page().HasText("clicks: 0"));
}

TEST(PoolLimitsTest, QueuedTabsCountTowardsTheAddressLimit) {
  ASSERT_OK_AND_ASSIGN(
      auto broker,
      BrokerProcess::Start(kStateApp, {"--workers", "1", "--max-sessions-per-ip", "2"}));
  ASSERT_OK_AND_ASSIGN(auto live, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(auto waiting, Hello(broker->port()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo place, waiting->page.ReceiveUntilNotice(waiting->client));
  ASSERT_EQ(place.kind, ipc::Notice::Kind::QUEUED);

  ASSERT_OK_AND_ASSIGN(auto third, Hello(broker->port()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo busy, third->page.ReceiveUntilNotice(third->client));
  EXPECT_EQ(busy.kind, ipc::Notice::Kind::BUSY) << busy.message;
  EXPECT_THAT(busy.message, HasSubstr("This address already has 2 sessions"));

  // The waiting tab says bye: it leaves the line and frees its place under
  // the limit, so the next tab may wait instead.
  ASSERT_OK(waiting->client.SendBye());
  EXPECT_OK(waiting->page.ReceiveUntilClosed(waiting->client));
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<Metrics> metrics = GetMetrics(broker->port());
        return metrics.ok() && metrics->Value("sluice_queue_length") == 0;
      },
      After(kStepTimeout)));
  ASSERT_OK_AND_ASSIGN(auto fourth, Hello(broker->port()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo queued, fourth->page.ReceiveUntilNotice(fourth->client));
  EXPECT_EQ(queued.kind, ipc::Notice::Kind::QUEUED) << queued.message;
}

TEST(PoolLimitsTest, QueuedTabThatSendsAChangeIsToldItHasNoSessionYet) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--workers", "1"}));
  ASSERT_OK_AND_ASSIGN(auto live, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(auto waiting, Hello(broker->port()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo place, waiting->page.ReceiveUntilNotice(waiting->client));
  ASSERT_EQ(place.kind, ipc::Notice::Kind::QUEUED);

  ASSERT_OK(waiting->client.SendWidgetChange("x", WidgetInput::Number(3)));
  ASSERT_OK_AND_ASSIGN(NoticeInfo refused, waiting->page.ReceiveUntilNotice(waiting->client));
  EXPECT_EQ(refused.kind, ipc::Notice::Kind::BAD_INPUT);
  EXPECT_THAT(refused.message, HasSubstr("waiting for a free worker"));

  // Still in line: it gets the worker when the live tab closes.
  ASSERT_OK(live->client().Close());
  absl::Status run = waiting->page.RunUntilFinished(waiting->client);
  ASSERT_TRUE(run.ok()) << run << "\n" << waiting->page.DebugString();
  EXPECT_TRUE(waiting->page.HasText("x squared is 625"));
}

TEST(PoolLimitsTest, IdleSessionIsEndedWithAMessage) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--idle-timeout", "1s"}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  std::optional<pid_t> worker = tab->WorkerPid();
  ASSERT_TRUE(worker.has_value());

  ASSERT_OK_AND_ASSIGN(NoticeInfo ended, tab->page().ReceiveUntilNotice(tab->client()));
  EXPECT_EQ(ended.kind, ipc::Notice::Kind::ENDED) << ended.message;
  EXPECT_THAT(ended.message, HasSubstr("without interaction"));
  EXPECT_OK(tab->page().ReceiveUntilClosed(tab->client()));
  EXPECT_TRUE(WaitForExit(*worker, After(kStepTimeout))) << "the idle session's worker lives on";
  EXPECT_TRUE(SessionsBecome(*broker, 0));
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker->port()));
  EXPECT_EQ(metrics.Value("sluice_sessions_ended_total{reason=\"idle_timeout\"}"), 1);
}

TEST(PoolLimitsTest, IdleTimeoutZeroKeepsSessions) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--idle-timeout", "0"}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  ASSERT_OK(tab->Click("Add one"));
  EXPECT_TRUE(tab->page().HasText("clicks: 1"));
}

TEST(PoolLimitsTest, BadPoolFlagValuesAreOneLineUsageErrors) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"--max-sessions-per-ip", "-1"}, {"--max-sessions-per-ip", "lots"},
      {"--max-queue", "-5"},           {"--queue-timeout", "soon"},
      {"--queue-timeout", "-1s"},      {"--idle-timeout", "1 hour"}};
  for (const auto& [flag, value] : bad) {
    ChildProcess::Options options;
    options.program = SluiceBinary();
    options.args = {"serve", kStateApp, "--port", "0", flag, value};
    ASSERT_OK_AND_ASSIGN(auto process, ChildProcess::Spawn(std::move(options)));
    ASSERT_OK_AND_ASSIGN(int status, process->Wait(After(kStepTimeout)));
    process->WaitForOutputEnd(After(kStepTimeout));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << flag << " " << value;
    std::vector<std::string> lines = process->Lines();
    ASSERT_EQ(lines.size(), 1u) << process->Output();
    EXPECT_THAT(lines[0], HasSubstr(flag));
    EXPECT_THAT(lines[0], HasSubstr(value));
  }
}

}  // namespace
}  // namespace sluice::testing
