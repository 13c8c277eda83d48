// st::cache_data and st::cache_resource end to end: real broker, real
// keeper, sessions over real WebSockets, tests/apps/cache_app.cc. Each
// computed value shows a stamp "PID#N" (who computed it), so a test sees
// whether a session computed or hit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class CacheDataTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kCacheApp)); }

  // The text after `prefix` on the page ("" if absent).
  static std::string ValueAfter(const PageModel& page, std::string_view prefix) {
    auto text = page.TextStartingWith(prefix);
    return text ? text->substr(prefix.size()) : "";
  }
  // As the app's getpid() shows it (its stamps carry that number).
  static std::string Pid(const AppSession& tab) { return std::to_string(*tab.ShownPid()); }

  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(CacheDataTest, SecondSessionHitsFirstSessionsEntry) {
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  std::string stamp = ValueAfter(first->page(), "table 3 rows 3 stamp ");
  ASSERT_THAT(stamp, StartsWith(Pid(*first) + "#")) << first->page().DebugString();

  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  ASSERT_NE(Pid(*first), Pid(*second));
  EXPECT_EQ(ValueAfter(second->page(), "table 3 rows 3 stamp "), stamp)
      << "the second session computed its own value:\n"
      << second->page().DebugString();
}

TEST_F(CacheDataTest, ElementsShownByTheFunctionAreReplayedOnAHit) {
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  ASSERT_TRUE(first->page().HasText("computing table 3")) << first->page().DebugString();
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  EXPECT_TRUE(second->page().HasText("computing table 3")) << second->page().DebugString();
  // On the page in the same place: before the line that uses the value.
  auto texts = second->page().Texts();
  auto replayed = std::find(texts.begin(), texts.end(), "computing table 3");
  auto used = std::find_if(texts.begin(), texts.end(),
                           [](const std::string& t) { return t.starts_with("table 3 rows"); });
  EXPECT_LT(replayed, used);
}

TEST_F(CacheDataTest, MutatingTheReturnedValueIsInvisibleToOtherCallsAndSessions) {
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  std::string stamp = ValueAfter(first->page(), "table 3 rows 3 stamp ");
  ASSERT_OK(first->Change("mutate", WidgetInput::Checked(true)));
  EXPECT_TRUE(first->page().HasText("mutated copy has 3 rows")) << first->page().DebugString();
  // The next run of the same session, and another session, get the original.
  ASSERT_OK(first->Change("mutate", WidgetInput::Checked(false)));
  EXPECT_EQ(ValueAfter(first->page(), "table 3 rows 3 stamp "), stamp);
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  EXPECT_EQ(ValueAfter(second->page(), "table 3 rows 3 stamp "), stamp);
}

// st::Column: a hit maps the entry copy-on-write instead of copying it.
TEST_F(CacheDataTest, ColumnsAreMappedOnAHitAndStayPrivateToTheirSession) {
  const std::string kSum = "sum 34360393728.000000";  // 3 + 4 + ... + (2^18 - 1 + 3)
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  ASSERT_OK(first->Change("series", WidgetInput::Checked(true)));
  std::string computed = ValueAfter(first->page(), "series stamp ");
  ASSERT_THAT(computed, StartsWith(Pid(*first) + "#")) << first->page().DebugString();
  EXPECT_THAT(computed, HasSubstr("mapped no " + kSum)) << "the computing call has its own value";
  std::string stamp = computed.substr(0, computed.find(' '));

  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  ASSERT_OK(second->Change("series", WidgetInput::Checked(true)));
  EXPECT_EQ(ValueAfter(second->page(), "series stamp "), stamp + " mapped yes " + kSum)
      << second->page().DebugString();
  ASSERT_OK(second->Change("scribble", WidgetInput::Checked(true)));
  EXPECT_TRUE(second->page().HasText("scribbled, first is -1.000000"))
      << second->page().DebugString();

  // Neither the cache nor the first session saw the writes.
  ASSERT_OK(first->Change("mutate", WidgetInput::Checked(true)));
  EXPECT_EQ(ValueAfter(first->page(), "series stamp "), stamp + " mapped yes " + kSum)
      << first->page().DebugString();
  ASSERT_OK(second->Change("scribble", WidgetInput::Checked(false)));
  EXPECT_EQ(ValueAfter(second->page(), "series stamp "), stamp + " mapped yes " + kSum);
}

// st::DataFrame: a hit on a large frame maps its columns as st::Column's.
TEST_F(CacheDataTest, AFramesColumnsAreMappedOnAHit) {
  const std::string kRest = "rows 262144 sum 34360393728.000000 last name 3";
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  ASSERT_OK(first->Change("frame", WidgetInput::Checked(true)));
  std::string computed = ValueAfter(first->page(), "frame stamp ");
  ASSERT_THAT(computed, StartsWith(Pid(*first) + "#")) << first->page().DebugString();
  EXPECT_THAT(computed, HasSubstr("mapped no " + kRest)) << "the computing call has its own frame";
  std::string stamp = computed.substr(0, computed.find(' '));

  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  ASSERT_OK(second->Change("frame", WidgetInput::Checked(true)));
  EXPECT_EQ(ValueAfter(second->page(), "frame stamp "), stamp + " mapped yes " + kRest)
      << second->page().DebugString();
}

// The grid's id names the frame it shows: the same id after a rerun means
// the rerun's hit decoded the very bytes the grid holds (one mapping, one
// pin), so the page keeps its rows and the worker its sort order.
TEST_F(CacheDataTest, ARerunsHitOfAShownFrameIsTheSameFrameForItsGrid) {
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  ASSERT_OK(first->Change("frame", WidgetInput::Checked(true)));
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  ASSERT_OK(second->Change("frame", WidgetInput::Checked(true)));
  auto grid_id = [&] {
    std::string id;
    second->page().ForEachElement([&](const ElementPath&, ipc::Element::Reader e) {
      if (e.isDataframe()) id = e.getDataframe().getId().cStr();
    });
    return id;
  };
  std::string before = grid_id();
  ASSERT_FALSE(before.empty()) << second->page().DebugString();
  ASSERT_THAT(ValueAfter(second->page(), "frame stamp "), HasSubstr("mapped yes"));
  ASSERT_OK(second->Change("mutate", WidgetInput::Checked(true)));
  ASSERT_TRUE(second->page().HasText("mutated copy has 3 rows")) << second->page().DebugString();
  EXPECT_THAT(ValueAfter(second->page(), "frame stamp "), HasSubstr("mapped yes"));
  EXPECT_EQ(grid_id(), before) << "the rerun's hit gave the grid another frame";
}

TEST_F(CacheDataTest, DifferentArgumentsAreDifferentEntries) {
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  std::string three = ValueAfter(tab->page(), "table 3 rows 3 stamp ");
  ASSERT_OK(tab->Change("n", WidgetInput::Number(500)));
  std::string five_hundred = ValueAfter(tab->page(), "table 500 rows 500 stamp ");
  EXPECT_NE(five_hundred, "") << tab->page().DebugString();
  EXPECT_NE(five_hundred, three);
  ASSERT_OK(tab->Change("n", WidgetInput::Number(3)));
  EXPECT_EQ(ValueAfter(tab->page(), "table 3 rows 3 stamp "), three);
}

TEST_F(CacheDataTest, ClearWithArgumentsClearsOnlyThatKey) {
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  std::string three = ValueAfter(tab->page(), "table 3 rows 3 stamp ");
  ASSERT_OK(tab->Change("n", WidgetInput::Number(4)));
  std::string four = ValueAfter(tab->page(), "table 4 rows 4 stamp ");
  ASSERT_OK(tab->Click("clear n"));  // clears table(4) only
  std::string four_again = ValueAfter(tab->page(), "table 4 rows 4 stamp ");
  EXPECT_NE(four_again, four) << "table(4) was not recomputed after clear(4)";
  ASSERT_OK(tab->Change("n", WidgetInput::Number(3)));
  EXPECT_EQ(ValueAfter(tab->page(), "table 3 rows 3 stamp "), three) << "clear(4) cleared table(3)";

  // Another session sees the clear too: it hits the recomputed table(4).
  ASSERT_OK_AND_ASSIGN(auto other, AppSession::Open(broker_->port()));
  ASSERT_OK(other->Change("n", WidgetInput::Number(4)));
  EXPECT_EQ(ValueAfter(other->page(), "table 4 rows 4 stamp "), four_again);
}

TEST_F(CacheDataTest, ClearWithoutArgumentsClearsTheFunction) {
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  std::string table = ValueAfter(tab->page(), "table 3 rows 3 stamp ");
  std::string few = ValueAfter(tab->page(), "few ");
  ASSERT_OK(tab->Click("clear table"));
  EXPECT_NE(ValueAfter(tab->page(), "table 3 rows 3 stamp "), table);
  EXPECT_EQ(ValueAfter(tab->page(), "few "), few) << "clearing one function cleared another";
  ASSERT_OK(tab->Click("clear all"));
  EXPECT_NE(ValueAfter(tab->page(), "few "), few);
}

TEST_F(CacheDataTest, MaxEntriesEvictsTheLeastRecentlyUsed) {
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  std::string three = ValueAfter(tab->page(), "few ");  // few_stamped(3), max_entries = 2
  ASSERT_OK(tab->Change("n", WidgetInput::Number(4)));
  std::string four = ValueAfter(tab->page(), "few ");
  ASSERT_OK(tab->Change("n", WidgetInput::Number(3)));
  EXPECT_EQ(ValueAfter(tab->page(), "few "), three) << "two entries fit in max_entries = 2";
  // A third entry: 4 is the least recently used now, so it goes.
  ASSERT_OK(tab->Change("n", WidgetInput::Number(5)));
  ASSERT_OK(tab->Change("n", WidgetInput::Number(3)));
  EXPECT_EQ(ValueAfter(tab->page(), "few "), three) << tab->page().DebugString();
  ASSERT_OK(tab->Change("n", WidgetInput::Number(4)));
  EXPECT_NE(ValueAfter(tab->page(), "few "), four) << "few_stamped(4) was not evicted";
}

TEST_F(CacheDataTest, TtlExpiresEntries) {
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  std::string first = ValueAfter(tab->page(), "ttl ");
  ASSERT_NE(first, "");
  // ttl is 300 ms: rerun until the value is recomputed (no sleeping).
  Deadline deadline = After(std::chrono::seconds(10));
  std::string now = first;
  while (now == first && Clock::now() < deadline) {
    ASSERT_OK(tab->Change("n", WidgetInput::Number(4)));
    ASSERT_OK(tab->Change("n", WidgetInput::Number(3)));
    now = ValueAfter(tab->page(), "ttl ");
  }
  EXPECT_NE(now, first) << "the entry never expired";
}

TEST_F(CacheDataTest, SessionScopeIsPrivateToTheSession) {
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  std::string mine = ValueAfter(first->page(), "session ");
  EXPECT_THAT(mine, StartsWith(Pid(*first) + "#"));
  ASSERT_OK(first->Change("n", WidgetInput::Number(4)));
  ASSERT_OK(first->Change("n", WidgetInput::Number(3)));
  EXPECT_EQ(ValueAfter(first->page(), "session "), mine) << "not kept across reruns";
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  EXPECT_THAT(ValueAfter(second->page(), "session "), StartsWith(Pid(*second) + "#"));
}

TEST_F(CacheDataTest, SpinnerShowsWhileAMissComputes) {
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  ASSERT_OK(tab->Send("slow", WidgetInput::Checked(true)));
  bool saw_spinner = false;
  Deadline deadline = After(kStepTimeout);
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto incoming, tab->client().Receive(deadline));
    ASSERT_FALSE(incoming.closed);
    auto message = incoming.message->get();
    tab->page().Apply(message);
    if (tab->page().HasText("Crunching slow numbers")) saw_spinner = true;
    if (message.isRun() && message.getRun().getFinished()) break;
  }
  EXPECT_TRUE(saw_spinner);
  EXPECT_FALSE(tab->page().HasText("Crunching slow numbers")) << "the spinner stayed";
  EXPECT_TRUE(tab->page().HasText("slow 3 ")) << tab->page().DebugString();
}

TEST_F(CacheDataTest, ConcurrentMissesComputeOnce) {
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  // Both ask for slow(3) at once: one computes, the other waits for it.
  ASSERT_OK(first->Send("slow", WidgetInput::Checked(true)));
  ASSERT_OK(second->Send("slow", WidgetInput::Checked(true)));
  ASSERT_OK(first->page().RunUntilFinished(first->client()));
  ASSERT_OK(second->page().RunUntilFinished(second->client()));
  std::string a = ValueAfter(first->page(), "slow 3 ");
  ASSERT_NE(a, "") << first->page().DebugString();
  EXPECT_EQ(ValueAfter(second->page(), "slow 3 "), a);
}

TEST_F(CacheDataTest, PreloadedResourceIsBuiltOnceInTheZygote) {
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker_->port()));
  ASSERT_OK_AND_ASSIGN(auto second, AppSession::Open(broker_->port()));
  std::string built = ValueAfter(first->page(), "preloaded model built in ");
  ASSERT_THAT(built, HasSubstr(" size 1000"));
  EXPECT_EQ(ValueAfter(second->page(), "preloaded model built in "), built);
  EXPECT_THAT(built, ::testing::Not(StartsWith(Pid(*first) + " ")));
  // Without preload each session's process builds its own.
  EXPECT_EQ(ValueAfter(first->page(), "private model built in "), Pid(*first));
  EXPECT_EQ(ValueAfter(second->page(), "private model built in "), Pid(*second));
}

}  // namespace
}  // namespace sluice::testing
