// AppRunner driven through a fake channel, with no broker, process or
// socket: the commands a session sends go in, the frames the page would get
// come out and are applied to a PageModel. The apps are functions here that
// call st:: as an app library does. The real-broker tests (tests/broker/)
// still cover the same behaviour end to end.
#include "runtime/app_runner.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "sluice/st.hpp"
#include "tests/runtime/fake_channel.h"
#include "tests/runtime/runner_test_base.h"
#include "tests/support/page_model.h"
#include "util/unique_fd.h"

namespace sluice::runtime {
namespace {

using testing::ElementPath;
using ::testing::ElementsAre;
using testing::FakeChannel;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::PageModel;
using testing::ShownElement;
using ::testing::SizeIs;
using testing::WidgetInfo;

void HelloApp() {
  st::title("Hello");
  st::text("world");
}

void SliderApp() {
  int level = st::slider("level", 0, 10, 3);
  st::text("level: " + std::to_string(level));
}

void ThrowingApp() {
  st::title("before the throw");
  throw std::runtime_error("the data file is missing");
}

int g_clicks = 0;
void CounterApp() {
  st::title("Counter");
  st::text("a line that does not change");
  if (st::button("add")) ++g_clicks;
  st::text("clicks: " + std::to_string(g_clicks));
}

// An app's own descriptor, waited on through the runner so the session
// stays served meanwhile.
void WaitingApp() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  AppRunner& runner = AppRunner::Current();
  bool before = runner.WaitReadable(read_end.get(), std::chrono::steady_clock::now());
  st::text(before ? "empty pipe: readable" : "empty pipe: timed out");
  if (::write(write_end.get(), "x", 1) != 1) throw std::runtime_error("write failed");
  bool after = runner.WaitReadable(read_end.get());
  st::text(after ? "written pipe: readable" : "written pipe: timed out");
}

void CaptionApp() {
  int level = st::slider("level", 0, 10, 3);
  st::text("level: " + std::to_string(level));
  st::caption("source: level " + std::to_string(level));
}

// An expander whose place a plain line takes when "flat" is on.
void ExpanderOrLineApp() {
  if (st::checkbox("flat")) {
    st::text("a plain line");
  } else {
    auto more = st::expander("more");
    st::text("inside the expander");
  }
  st::text("after");
}

class AppRunnerTest : public RunnerTest {};

TEST_F(AppRunnerTest, StartRunsTheAppAndThePageShowsItsElements) {
  Start(HelloApp);
  EXPECT_THAT(page_.Texts(), ElementsAre("Hello", "world")) << page_.DebugString();
  EXPECT_EQ(page_.finished_runs(), 1);
  EXPECT_THAT(page_.protocol_errors(), IsEmpty());
}

TEST_F(AppRunnerTest, WidgetChangeRerunsWithTheNewValue) {
  Start(SliderApp);
  EXPECT_TRUE(page_.HasText("level: 3")) << page_.DebugString();
  Serve(WidgetChangeCommand{.widget_id = IdOf("level"), .value = 7.0});
  EXPECT_TRUE(page_.HasText("level: 7")) << page_.DebugString();
  EXPECT_FALSE(page_.HasText("level: 3"));
  EXPECT_EQ(page_.FindWidget("level")->number, 7);
  EXPECT_EQ(page_.finished_runs(), 2);
}

TEST_F(AppRunnerTest, AppExceptionIsShownOnThePage) {
  Start(ThrowingApp);
  EXPECT_TRUE(page_.HasText("before the throw"));
  ASSERT_THAT(page_.Exceptions(), SizeIs(1)) << page_.DebugString();
  EXPECT_THAT(page_.Exceptions()[0].type, HasSubstr("runtime_error"));
  EXPECT_EQ(page_.Exceptions()[0].message, "the data file is missing");
  EXPECT_EQ(page_.finished_runs(), 1);
}

TEST_F(AppRunnerTest, ChangeToAnUnknownWidgetAnswersBadInputWithoutARerun) {
  Start(SliderApp);
  Serve(WidgetChangeCommand{.widget_id = "slider:no such widget:0", .value = 1.0});
  ASSERT_THAT(page_.notices(), SizeIs(1));
  EXPECT_EQ(page_.notices()[0].kind, ipc::Notice::Kind::BAD_INPUT);
  EXPECT_THAT(page_.notices()[0].message, HasSubstr("no such widget"));
  EXPECT_EQ(page_.finished_runs(), 1);
}

TEST_F(AppRunnerTest, OutOfRangeValueAnswersBadInputAndKeepsTheOldValue) {
  Start(SliderApp);
  Serve(WidgetChangeCommand{.widget_id = IdOf("level"), .value = 11.0});
  ASSERT_THAT(page_.notices(), SizeIs(1));
  EXPECT_EQ(page_.notices()[0].kind, ipc::Notice::Kind::BAD_INPUT);
  EXPECT_EQ(page_.finished_runs(), 1);
  EXPECT_TRUE(page_.HasText("level: 3"));
}

TEST_F(AppRunnerTest, RerunThatChangesOneLineSendsOneDelta) {
  g_clicks = 0;
  Start(CounterApp);
  EXPECT_TRUE(page_.HasText("clicks: 0"));
  EXPECT_EQ(Serve(WidgetChangeCommand{.widget_id = IdOf("add"), .value = Clicked{}}), 1u);
  EXPECT_TRUE(page_.HasText("clicks: 1")) << page_.DebugString();
  EXPECT_THAT(page_.Texts(), ElementsAre("Counter", "a line that does not change", "clicks: 1"));
}

TEST_F(AppRunnerTest, ResyncResendsEveryElement) {
  Start(HelloApp);
  EXPECT_EQ(Serve(ResyncCommand{}), 2u);
  EXPECT_THAT(page_.Texts(), ElementsAre("Hello", "world"));
}

TEST_F(AppRunnerTest, WaitReadableWatchesTheAppsDescriptorWhenTheChannelHasNone) {
  ASSERT_EQ(channel_.fd(), -1);
  Start(WaitingApp);
  EXPECT_THAT(page_.Texts(), ElementsAre("empty pipe: timed out", "written pipe: readable"))
      << page_.DebugString();
}

TEST_F(AppRunnerTest, WaitingWithNothingQueuedFailsInsteadOfBlocking) {
  Start(HelloApp);
  EXPECT_THROW(runner_->ServeOne(), FakeChannel::NothingQueued);
}

int g_idle_calls = 0;
void CountIdle() { ++g_idle_calls; }
constexpr RunHooks kIdleHooks{.when_idle = CountIdle, .idle_after = std::chrono::seconds(5)};

// The fake channel's deadline passes at once when nothing is queued.
TEST_F(AppRunnerTest, SessionWithNoCommandBeforeItsIdleTimeCallsTheIdleHookOnce) {
  g_idle_calls = 0;
  Start(SliderApp, kIdleHooks);
  EXPECT_EQ(g_idle_calls, 0) << "the start command came before the deadline";
  EXPECT_THROW(runner_->ServeOne(), FakeChannel::NothingQueued);
  EXPECT_EQ(g_idle_calls, 1) << "idle, then waiting for the next command with no deadline";

  // The next command ends the idle spell: the session reruns as before,
  // and its next wait may call the hook again.
  Serve(WidgetChangeCommand{.widget_id = IdOf("level"), .value = 7.0});
  EXPECT_TRUE(page_.HasText("level: 7")) << page_.DebugString();
  EXPECT_EQ(g_idle_calls, 1);
  EXPECT_THROW(runner_->ServeOne(), FakeChannel::NothingQueued);
  EXPECT_EQ(g_idle_calls, 2);
}

// A warm worker waiting for its session keeps what it faulted in for it.
TEST_F(AppRunnerTest, RunnerWaitingForItsSessionNeverCallsTheIdleHook) {
  g_idle_calls = 0;
  runner_ = std::make_unique<AppRunner>(channel_, HelloApp, kIdleHooks);
  EXPECT_THROW(runner_->ServeOne(), FakeChannel::NothingQueued);
  EXPECT_EQ(g_idle_calls, 0);
}

TEST(AppRunnerOutsideARun, StCallThrowsLogicError) {
  EXPECT_THROW(st::title("from a static initializer"), std::logic_error);
}

TEST_F(AppRunnerTest, CaptionIsShownAsACaptionAndUpdatedByARerun) {
  Start(CaptionApp);
  std::vector<ShownElement> captions = page_.FindElements("caption");
  ASSERT_THAT(captions, SizeIs(1)) << page_.DebugString();
  EXPECT_EQ(captions[0].text, "source: level 3");
  EXPECT_EQ(captions[0].path, (ElementPath{0, 2}));

  EXPECT_EQ(Serve(WidgetChangeCommand{.widget_id = IdOf("level"), .value = 5.0}), 3u);
  captions = page_.FindElements("caption");
  ASSERT_THAT(captions, SizeIs(1)) << page_.DebugString();
  EXPECT_EQ(captions[0].text, "source: level 5");
}

TEST_F(AppRunnerTest, ABlockReplacedByALeafTakesItsChildrenOffThePage) {
  Start(ExpanderOrLineApp);
  EXPECT_TRUE(page_.HasText("inside the expander")) << page_.DebugString();
  Serve(WidgetChangeCommand{.widget_id = IdOf("flat"), .value = true});
  EXPECT_THAT(page_.Texts(), ElementsAre("a plain line", "after")) << page_.DebugString();
  Serve(WidgetChangeCommand{.widget_id = IdOf("flat"), .value = false});
  EXPECT_THAT(page_.Texts(), ElementsAre("inside the expander", "after")) << page_.DebugString();
}

}  // namespace
}  // namespace sluice::runtime
