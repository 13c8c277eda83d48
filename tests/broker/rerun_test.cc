// The rerun model: each widget change reruns the app with the new value,
// session state survives reruns (and only in its own session), stale
// elements go when a run finishes, and the newest change wins.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::Each;
using ::testing::EndsWith;

class RerunTest : public ::testing::Test {
 protected:
  void StartBroker(const std::string& app) {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(app));
  }
  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(RerunTest, WidgetChangeReruns) {
  ASSERT_NO_FATAL_FAILURE(StartBroker(kStateApp));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  std::optional<uint64_t> first_run = tab->page().last_finished_run();
  ASSERT_OK(tab->Change("x", WidgetInput::Number(7)));
  const PageModel& page = tab->page();
  EXPECT_TRUE(page.HasText("x squared is 49")) << page.DebugString();
  EXPECT_FALSE(page.HasText("x squared is 625")) << page.DebugString();
  ASSERT_TRUE(page.FindWidget("x").has_value());
  EXPECT_EQ(page.FindWidget("x")->number, 7);
  EXPECT_NE(page.last_finished_run(), first_run) << "the rerun reused the first run's id";
  EXPECT_THAT(page.protocol_errors(), ::testing::IsEmpty());
}

TEST_F(RerunTest, EveryWidgetKindUpdatesThePage) {
  ASSERT_NO_FATAL_FAILURE(StartBroker(kStateApp));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  const PageModel& page = tab->page();

  ASSERT_OK(tab->Change("name", WidgetInput::Text("Ada")));
  EXPECT_TRUE(page.HasText("hello, Ada")) << page.DebugString();
  EXPECT_EQ(page.FindWidget("name")->text, "Ada");

  ASSERT_OK(tab->Change("shout", WidgetInput::Checked(true)));
  EXPECT_TRUE(page.HasText("HELLO, ADA")) << page.DebugString();
  EXPECT_TRUE(page.FindWidget("shout")->checked);

  ASSERT_OK(tab->Change("color", WidgetInput::Index(2)));
  EXPECT_TRUE(page.HasText("color: blue")) << page.DebugString();
  EXPECT_EQ(page.FindWidget("color")->index, 2);

  ASSERT_OK(tab->Click("Add one"));
  EXPECT_TRUE(page.HasText("clicks: 1")) << page.DebugString();

  // Every earlier value is still in force after the later reruns.
  ASSERT_OK(tab->Change("x", WidgetInput::Number(3)));
  EXPECT_TRUE(page.HasText("x squared is 9")) << page.DebugString();
  EXPECT_TRUE(page.HasText("HELLO, ADA")) << page.DebugString();
  EXPECT_TRUE(page.HasText("color: blue")) << page.DebugString();
  EXPECT_TRUE(page.HasText("clicks: 1")) << page.DebugString();
  EXPECT_EQ(page.FindWidget("name")->text, "Ada");
}

TEST_F(RerunTest, ElementsNotProducedByARunAreRemoved) {
  ASSERT_NO_FATAL_FAILURE(StartBroker(kStateApp));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  const PageModel& page = tab->page();
  std::vector<std::string> unchecked = page.Texts();

  ASSERT_OK(tab->Change("shout", WidgetInput::Checked(true)));
  EXPECT_TRUE(page.HasText("shouting")) << page.DebugString();

  ASSERT_OK(tab->Change("shout", WidgetInput::Checked(false)));
  EXPECT_FALSE(page.HasText("shouting")) << page.DebugString();
  EXPECT_EQ(page.Texts(), unchecked) << page.DebugString();
}

TEST_F(RerunTest, StateSurvivesRerunsAndIsAbsentInOtherSession) {
  ASSERT_NO_FATAL_FAILURE(StartBroker(kStateApp));
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));

  for (int i = 0; i < 3; ++i) ASSERT_OK(first->Click("Add one"));
  ASSERT_OK(first->Change("name", WidgetInput::Text("Ada")));
  ASSERT_OK(first->Change("x", WidgetInput::Number(10)));
  EXPECT_TRUE(first->page().HasText("clicks: 3")) << first->page().DebugString();
  EXPECT_TRUE(first->page().HasText("hello, Ada")) << first->page().DebugString();
  EXPECT_TRUE(first->page().HasText("x squared is 100")) << first->page().DebugString();

  // The other tab reruns and sees none of it.
  ASSERT_OK(second->Click("Add one"));
  EXPECT_TRUE(second->page().HasText("clicks: 1")) << second->page().DebugString();
  EXPECT_TRUE(second->page().HasText("hello, ")) << second->page().DebugString();
  EXPECT_FALSE(second->page().HasText("Ada")) << second->page().DebugString();
  EXPECT_TRUE(second->page().HasText("x squared is 625")) << second->page().DebugString();

  // And its click did not reach the first.
  ASSERT_OK(first->Change("x", WidgetInput::Number(11)));
  EXPECT_TRUE(first->page().HasText("clicks: 3")) << first->page().DebugString();
}

TEST_F(RerunTest, LatestWidgetChangeWins) {
  ASSERT_NO_FATAL_FAILURE(StartBroker(kSlowApp));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  const PageModel& page = tab->page();
  ASSERT_TRUE(page.HasText("done v=0")) << page.DebugString();

  // Back to back: the first change starts a 200-element run, the others
  // arrive while it is in progress.
  constexpr int kLast = 5;
  for (int v = 1; v <= kLast; ++v) ASSERT_OK(tab->Send("v", WidgetInput::Number(v)));

  // Collect the finished runs until one shows the last value.
  auto shows = [&](const std::string& text) {
    std::vector<std::string> texts = page.Texts();
    return std::find(texts.begin(), texts.end(), text) != texts.end();
  };
  auto done = [](int v) { return "done v=" + std::to_string(v); };
  std::set<int> intermediate_finished;  // stale values whose run finished
  Deadline deadline = After(std::chrono::seconds(60));
  while (!shows(done(kLast))) {
    ASSERT_OK(tab->page().RunUntilFinished(tab->client(), deadline));
    for (int v = 1; v < kLast; ++v) {
      if (shows(done(v))) intermediate_finished.insert(v);
    }
  }

  EXPECT_TRUE(shows("start v=" + std::to_string(kLast))) << page.DebugString();
  EXPECT_EQ(page.FindWidget("v")->number, kLast);
  std::vector<std::string> lines;
  for (const std::string& text : page.Texts()) {
    if (text.starts_with("line ")) lines.push_back(text);
  }
  EXPECT_EQ(lines.size(), 200u) << page.DebugString();
  EXPECT_THAT(lines, Each(EndsWith("of v=" + std::to_string(kLast))));
  for (int v = 0; v < kLast; ++v) {
    EXPECT_FALSE(shows("start v=" + std::to_string(v))) << page.DebugString();
    EXPECT_FALSE(shows(done(v))) << page.DebugString();
  }
  RecordProperty("stale_values_with_a_finished_run",
                 static_cast<int>(intermediate_finished.size()));
  // Latest wins: the stale values did not each get a finished run of their own.
  EXPECT_LT(intermediate_finished.size(), static_cast<size_t>(kLast - 1))
      << "every intermediate value produced a finished run: changes were queued, not replaced";
}

}  // namespace
}  // namespace sluice::testing
