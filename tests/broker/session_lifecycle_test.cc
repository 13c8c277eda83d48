// A session from hello to its end: one worker per tab, closing ends it,
// a network drop resumes it, a reload replaces it, the broker's death takes
// every process with it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsSupersetOf;

class SessionLifecycleTest : public ::testing::Test {
 protected:
  void StartBroker(std::vector<std::string> args = {}) {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kStateApp, args));
  }
  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(SessionLifecycleTest, ConnectShowsElements) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  const PageModel& page = tab->page();

  ASSERT_TRUE(page.session().has_value());
  EXPECT_FALSE(page.session()->session_id.empty());
  EXPECT_FALSE(page.session()->reconnect_token.empty());
  EXPECT_FALSE(page.session()->resumed);

  std::optional<pid_t> worker = tab->WorkerPid();
  ASSERT_TRUE(worker.has_value()) << page.DebugString();
  EXPECT_NE(*worker, broker_->pid()) << "the app ran inside the broker";
  EXPECT_TRUE(ProcessAlive(*worker));

  std::vector<std::string> main = page.TextsIn(0);
  ASSERT_FALSE(main.empty());
  main.erase(main.begin());  // "pid: N"
  EXPECT_THAT(main, ElementsAre("State app", "x squared is 625", "clicks: 0", "hello, ",
                                "color: red", "left column", "right column"))
      << page.DebugString();
  EXPECT_THAT(page.TextsIn(1), ElementsAre("sidebar note")) << page.DebugString();

  // The two column texts sit in the two containers of one columns element.
  std::optional<ElementPath> left = page.PathOfText("left column");
  std::optional<ElementPath> right = page.PathOfText("right column");
  ASSERT_TRUE(left && right) << page.DebugString();
  ASSERT_EQ(left->size(), 4u);
  ASSERT_EQ(right->size(), 4u);
  EXPECT_EQ((*left)[1], (*right)[1]);
  EXPECT_EQ((*left)[2], 0u);
  EXPECT_EQ((*right)[2], 1u);

  std::optional<WidgetInfo> x = page.FindWidget("x");
  ASSERT_TRUE(x.has_value()) << page.DebugString();
  EXPECT_EQ(x->kind, ipc::Widget::SLIDER);
  EXPECT_EQ(x->number, 25);
  EXPECT_EQ(x->min, 0);
  EXPECT_EQ(x->max, 100);
  EXPECT_TRUE(x->integer);
  EXPECT_FALSE(x->id.empty());

  std::optional<WidgetInfo> add = page.FindWidget("Add one");
  ASSERT_TRUE(add.has_value());
  EXPECT_EQ(add->kind, ipc::Widget::BUTTON);
  std::optional<WidgetInfo> name = page.FindWidget("name");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->kind, ipc::Widget::TEXT_INPUT);
  EXPECT_EQ(name->text, "");
  std::optional<WidgetInfo> shout = page.FindWidget("shout");
  ASSERT_TRUE(shout.has_value());
  EXPECT_EQ(shout->kind, ipc::Widget::CHECKBOX);
  EXPECT_FALSE(shout->checked);
  std::optional<WidgetInfo> color = page.FindWidget("color");
  ASSERT_TRUE(color.has_value());
  EXPECT_EQ(color->kind, ipc::Widget::SELECTBOX);
  EXPECT_THAT(color->options, ElementsAre("red", "green", "blue"));
  EXPECT_EQ(color->index, 0);

  std::vector<std::string> ids = {x->id, add->id, name->id, shout->id, color->id};
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "widget ids are not unique";
  EXPECT_THAT(page.protocol_errors(), ::testing::IsEmpty());
}

TEST_F(SessionLifecycleTest, TwoConnectionsGetDifferentWorkerPids) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  std::optional<pid_t> first_pid = first->WorkerPid();
  std::optional<pid_t> second_pid = second->WorkerPid();
  ASSERT_TRUE(first_pid && second_pid);
  EXPECT_NE(*first_pid, *second_pid);
  EXPECT_NE(first->page().session()->session_id, second->page().session()->session_id);
  EXPECT_TRUE(ProcessAlive(*first_pid));
  EXPECT_TRUE(ProcessAlive(*second_pid));
  // Workers come from the zygote, which the broker started.
  EXPECT_THAT(DescendantsOf(broker_->pid()), IsSupersetOf({*first_pid, *second_pid}));
}

TEST_F(SessionLifecycleTest, CloseEndsWorkerWithinOneSecond) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  std::optional<pid_t> worker = tab->WorkerPid();
  ASSERT_TRUE(worker.has_value());
  ASSERT_OK(tab->client().Close(1000));
  EXPECT_TRUE(WaitForExit(*worker, After(seconds(1))))
      << "worker " << *worker << " still runs 1 s after its tab closed";
}

TEST_F(SessionLifecycleTest, ByeEndsWorkerWithinOneSecond) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  std::optional<pid_t> worker = tab->WorkerPid();
  ASSERT_TRUE(worker.has_value());
  ASSERT_OK(tab->client().SendBye());
  EXPECT_TRUE(WaitForExit(*worker, After(seconds(1))))
      << "worker " << *worker << " still runs 1 s after bye";
}

TEST_F(SessionLifecycleTest, DroppedConnectionResumesWithToken) {
  ASSERT_NO_FATAL_FAILURE(StartBroker({"--reconnect-grace", "30s"}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  ASSERT_OK(tab->Click("Add one"));
  ASSERT_OK(tab->Click("Add one"));
  ASSERT_OK(tab->Change("x", WidgetInput::Number(7)));
  ASSERT_TRUE(tab->page().HasText("clicks: 2")) << tab->page().DebugString();
  SessionInfo before = *tab->page().session();
  std::optional<pid_t> worker = tab->WorkerPid();
  ASSERT_TRUE(worker.has_value());

  tab->client().Drop();
  ASSERT_OK_AND_ASSIGN(auto resumed, AppSession::Open(broker_->port(), before.reconnect_token));
  const PageModel& page = resumed->page();
  EXPECT_TRUE(page.session()->resumed);
  EXPECT_EQ(page.session()->session_id, before.session_id);
  EXPECT_EQ(resumed->WorkerPid(), worker) << "resumed on another worker";
  EXPECT_TRUE(page.HasText("clicks: 2")) << page.DebugString();
  EXPECT_TRUE(page.HasText("x squared is 49")) << page.DebugString();
  ASSERT_TRUE(page.FindWidget("x").has_value());
  EXPECT_EQ(page.FindWidget("x")->number, 7);

  ASSERT_OK(resumed->Click("Add one"));
  EXPECT_TRUE(resumed->page().HasText("clicks: 3")) << resumed->page().DebugString();
}

TEST_F(SessionLifecycleTest, DroppedConnectionEndsWorkerAfterGrace) {
  ASSERT_NO_FATAL_FAILURE(StartBroker({"--reconnect-grace", "1s"}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  std::optional<pid_t> worker = tab->WorkerPid();
  ASSERT_TRUE(worker.has_value());
  tab->client().Drop();
  // The grace period, then the usual second to end the worker.
  EXPECT_TRUE(WaitForExit(*worker, After(seconds(2))))
      << "worker " << *worker << " outlived a 1 s reconnect grace by over 1 s";
}

TEST_F(SessionLifecycleTest, ReloadStartsFreshSession) {
  ASSERT_NO_FATAL_FAILURE(StartBroker({"--reconnect-grace", "30s"}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  ASSERT_OK(tab->Click("Add one"));
  ASSERT_TRUE(tab->page().HasText("clicks: 1")) << tab->page().DebugString();
  SessionInfo before = *tab->page().session();
  std::optional<pid_t> old_worker = tab->WorkerPid();
  ASSERT_TRUE(old_worker.has_value());

  // A reload: the browser closes the socket as "going away", and the new
  // page says hello without a token.
  ASSERT_OK(tab->client().Close(1001));
  ASSERT_OK_AND_ASSIGN(auto reloaded, AppSession::Open(broker_->port()));
  const PageModel& page = reloaded->page();
  EXPECT_FALSE(page.session()->resumed);
  EXPECT_NE(page.session()->session_id, before.session_id);
  EXPECT_NE(page.session()->reconnect_token, before.reconnect_token);
  EXPECT_NE(reloaded->WorkerPid(), old_worker);
  EXPECT_TRUE(page.HasText("clicks: 0")) << page.DebugString();
  EXPECT_TRUE(WaitForExit(*old_worker, After(seconds(1))));
}

TEST_F(SessionLifecycleTest, HealthzCountsSessions) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker_->Healthz());
  EXPECT_EQ(health.status, 200);
  auto sessions_are = [&](int n) {
    return WaitUntil(
        [&] {
          absl::StatusOr<int> sessions = broker_->SessionsFromHealthz();
          return sessions.ok() && *sessions == n;
        },
        After(kStepTimeout));
  };
  auto body = [&] {
    absl::StatusOr<HttpResponse> now = broker_->Healthz();
    return now.ok() ? now->body : now.status().ToString();
  };
  EXPECT_TRUE(sessions_are(0)) << health.body;

  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  EXPECT_TRUE(sessions_are(2)) << body();

  ASSERT_OK(first->client().Close());
  EXPECT_TRUE(sessions_are(1)) << body();
  ASSERT_OK(second->client().SendBye());
  EXPECT_TRUE(sessions_are(0)) << body();
}

TEST_F(SessionLifecycleTest, BrokerSigkillLeavesNoProcesses) {
  ASSERT_NO_FATAL_FAILURE(StartBroker({"--prefork", "2"}));
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  std::optional<pid_t> first_pid = first->WorkerPid();
  std::optional<pid_t> second_pid = second->WorkerPid();
  ASSERT_TRUE(first_pid && second_pid);

  pid_t broker_pid = broker_->pid();
  std::vector<pid_t> descendants = DescendantsOf(broker_pid);
  ASSERT_THAT(descendants, IsSupersetOf({*first_pid, *second_pid}));
  // The zygote is a descendant too, besides the workers.
  EXPECT_GE(descendants.size(), 3u);

  ASSERT_OK(broker_->process().Kill(SIGKILL));
  ASSERT_OK_AND_ASSIGN(int status, broker_->process().Wait(After(kStepTimeout)));
  ASSERT_TRUE(WIFSIGNALED(status)) << DescribeWaitStatus(status);

  // Within the same second, so do workers forked after the snapshot above
  // (the warm pool refills after each session start).
  Deadline one_second = After(seconds(1));
  EXPECT_TRUE(WaitForExit(descendants, one_second))
      << "a zygote or worker outlived the broker by 1 s";
  for (pid_t pid : descendants) EXPECT_FALSE(ProcessAlive(pid)) << "process " << pid;
  EXPECT_TRUE(WaitUntil([&] { return ProcessesInGroup(broker_pid).empty(); }, one_second))
      << "left: " << ::testing::PrintToString(ProcessesInGroup(broker_pid));
}

}  // namespace
}  // namespace sluice::testing
