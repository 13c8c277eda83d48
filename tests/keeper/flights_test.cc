// The single-flight table on its own: who owns a key, who waits, and who
// takes over when an owner publishes, gives up or goes away.
#include "keeper/flights.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sluice::keeper {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Claimed = Flights::Claimed;

constexpr shm_cache::Key kKey{1, 2};
constexpr shm_cache::Key kOther{3, 4};

TEST(FlightsTest, FirstClaimantOwnsLaterOnesWait) {
  Flights flights;
  EXPECT_EQ(flights.Claim(kKey, {10, 1}), Claimed::kOwner);
  EXPECT_EQ(flights.Claim(kKey, {11, 2}), Claimed::kWaiting);
  EXPECT_EQ(flights.Claim(kKey, {10, 3}), Claimed::kOwner);  // the owner asking again
  EXPECT_TRUE(flights.IsOwner(kKey, 10));
  EXPECT_FALSE(flights.IsOwner(kKey, 11));
  EXPECT_EQ(flights.ClaimsOf(10), 1u);
  EXPECT_EQ(flights.ClaimsOf(11), 1u);
}

TEST(FlightsTest, FinishReleasesEveryWaiterOldestFirstAndForgetsTheFlight) {
  Flights flights;
  flights.Claim(kKey, {10, 1});
  flights.Claim(kKey, {11, 2});
  flights.Claim(kKey, {12, 3});
  EXPECT_THAT(flights.Finish(kKey), ElementsAre(Waiter{11, 2}, Waiter{12, 3}));
  EXPECT_EQ(flights.size(), 0u);
  EXPECT_EQ(flights.ClaimsOf(10) + flights.ClaimsOf(11) + flights.ClaimsOf(12), 0u);
  EXPECT_EQ(flights.Claim(kKey, {12, 4}), Claimed::kOwner);
}

TEST(FlightsTest, AbandonByTheOwnerPromotesTheOldestWaiter) {
  Flights flights;
  flights.Claim(kKey, {10, 1});
  flights.Claim(kKey, {11, 2});
  flights.Claim(kKey, {12, 3});
  EXPECT_EQ(flights.Abandon(kKey, 10), (Waiter{11, 2}));
  EXPECT_TRUE(flights.IsOwner(kKey, 11));
  EXPECT_EQ(flights.Abandon(kKey, 11), (Waiter{12, 3}));
  EXPECT_EQ(flights.Abandon(kKey, 12), std::nullopt);
  EXPECT_EQ(flights.size(), 0u);
}

TEST(FlightsTest, AbandonByAWaiterOnlyStopsItWaiting) {
  Flights flights;
  flights.Claim(kKey, {10, 1});
  flights.Claim(kKey, {11, 2});
  flights.Claim(kKey, {12, 3});
  EXPECT_EQ(flights.Abandon(kKey, 11), std::nullopt);
  EXPECT_TRUE(flights.IsOwner(kKey, 10));
  EXPECT_EQ(flights.ClaimsOf(11), 0u);
  EXPECT_THAT(flights.Finish(kKey), ElementsAre(Waiter{12, 3}));
}

TEST(FlightsTest, AbandonOfAnUnknownKeyChangesNothing) {
  Flights flights;
  flights.Claim(kKey, {10, 1});
  EXPECT_EQ(flights.Abandon(kOther, 10), std::nullopt);
  EXPECT_EQ(flights.Abandon(kKey, 99), std::nullopt);
  EXPECT_TRUE(flights.IsOwner(kKey, 10));
}

TEST(FlightsTest, ForgettingAWorkerPassesItsKeysAndDropsItsWaits) {
  Flights flights;
  flights.Claim(kKey, {10, 1});
  flights.Claim(kKey, {11, 2});
  flights.Claim(kOther, {11, 3});
  flights.Claim(kOther, {10, 4});  // 10 waits for a key 11 owns
  // 11 goes: kOther passes to 10; 11's wait for kKey ends.
  EXPECT_THAT(flights.Forget(11), ElementsAre(Waiter{10, 4}));
  EXPECT_TRUE(flights.IsOwner(kOther, 10));
  EXPECT_THAT(flights.Finish(kKey), IsEmpty());
  // 10 goes with nobody waiting: the flight is over.
  EXPECT_THAT(flights.Forget(10), IsEmpty());
  EXPECT_EQ(flights.size(), 0u);
}

TEST(FlightsTest, ForgettingAWorkerThatOwnsOneKeyAndWaitsForAnother) {
  Flights flights;
  flights.Claim(kKey, {10, 1});
  flights.Claim(kKey, {11, 2});
  flights.Claim(kOther, {11, 3});
  flights.Claim(kOther, {10, 5});
  // 10 owns kKey and waits for kOther; when it goes, kKey passes to 11.
  EXPECT_THAT(flights.Forget(10), ElementsAre(Waiter{11, 2}));
  EXPECT_THAT(flights.Finish(kOther), IsEmpty());
}

}  // namespace
}  // namespace sluice::keeper
