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
constexpr std::uint64_t kT0 = 1'000'000'000;  // nanoseconds, as CLOCK_MONOTONIC
constexpr std::uint64_t kTimeout = 60'000'000'000;

TEST(FlightsTest, FirstClaimantOwnsLaterOnesWait) {
  Flights flights;
  EXPECT_EQ(flights.Claim(kKey, {10, 1}, kT0), Claimed::kOwner);
  EXPECT_EQ(flights.Claim(kKey, {11, 2}, kT0), Claimed::kWaiting);
  EXPECT_EQ(flights.Claim(kKey, {10, 3}, kT0), Claimed::kOwner);  // the owner asking again
  EXPECT_TRUE(flights.IsOwner(kKey, 10));
  EXPECT_FALSE(flights.IsOwner(kKey, 11));
  EXPECT_EQ(flights.ClaimsOf(10), 1u);
  EXPECT_EQ(flights.ClaimsOf(11), 1u);
}

TEST(FlightsTest, FinishReleasesEveryWaiterOldestFirstAndForgetsTheFlight) {
  Flights flights;
  flights.Claim(kKey, {10, 1}, kT0);
  flights.Claim(kKey, {11, 2}, kT0);
  flights.Claim(kKey, {12, 3}, kT0);
  EXPECT_THAT(flights.Finish(kKey), ElementsAre(Waiter{11, 2}, Waiter{12, 3}));
  EXPECT_EQ(flights.size(), 0u);
  EXPECT_EQ(flights.ClaimsOf(10) + flights.ClaimsOf(11) + flights.ClaimsOf(12), 0u);
  EXPECT_EQ(flights.Claim(kKey, {12, 4}, kT0), Claimed::kOwner);
}

TEST(FlightsTest, AbandonByTheOwnerPromotesTheOldestWaiter) {
  Flights flights;
  flights.Claim(kKey, {10, 1}, kT0);
  flights.Claim(kKey, {11, 2}, kT0);
  flights.Claim(kKey, {12, 3}, kT0);
  EXPECT_EQ(flights.Abandon(kKey, 10, kT0), (Waiter{11, 2}));
  EXPECT_TRUE(flights.IsOwner(kKey, 11));
  EXPECT_EQ(flights.Abandon(kKey, 11, kT0), (Waiter{12, 3}));
  EXPECT_EQ(flights.Abandon(kKey, 12, kT0), std::nullopt);
  EXPECT_EQ(flights.size(), 0u);
}

TEST(FlightsTest, AbandonByAWaiterOnlyStopsItWaiting) {
  Flights flights;
  flights.Claim(kKey, {10, 1}, kT0);
  flights.Claim(kKey, {11, 2}, kT0);
  flights.Claim(kKey, {12, 3}, kT0);
  EXPECT_EQ(flights.Abandon(kKey, 11, kT0), std::nullopt);
  EXPECT_TRUE(flights.IsOwner(kKey, 10));
  EXPECT_EQ(flights.ClaimsOf(11), 0u);
  EXPECT_THAT(flights.Finish(kKey), ElementsAre(Waiter{12, 3}));
}

TEST(FlightsTest, AbandonOfAnUnknownKeyChangesNothing) {
  Flights flights;
  flights.Claim(kKey, {10, 1}, kT0);
  EXPECT_EQ(flights.Abandon(kOther, 10, kT0), std::nullopt);
  EXPECT_EQ(flights.Abandon(kKey, 99, kT0), std::nullopt);
  EXPECT_TRUE(flights.IsOwner(kKey, 10));
}

TEST(FlightsTest, ForgettingAWorkerPassesItsKeysAndDropsItsWaits) {
  Flights flights;
  flights.Claim(kKey, {10, 1}, kT0);
  flights.Claim(kKey, {11, 2}, kT0);
  flights.Claim(kOther, {11, 3}, kT0);
  flights.Claim(kOther, {10, 4}, kT0);  // 10 waits for a key 11 owns
  // 11 goes: kOther passes to 10; 11's wait for kKey ends.
  EXPECT_THAT(flights.Forget(11, kT0), ElementsAre(Waiter{10, 4}));
  EXPECT_TRUE(flights.IsOwner(kOther, 10));
  EXPECT_THAT(flights.Finish(kKey), IsEmpty());
  // 10 goes with nobody waiting: the flight is over.
  EXPECT_THAT(flights.Forget(10, kT0), IsEmpty());
  EXPECT_EQ(flights.size(), 0u);
}

TEST(FlightsTest, ForgettingAWorkerThatOwnsOneKeyAndWaitsForAnother) {
  Flights flights;
  flights.Claim(kKey, {10, 1}, kT0);
  flights.Claim(kKey, {11, 2}, kT0);
  flights.Claim(kOther, {11, 3}, kT0);
  flights.Claim(kOther, {10, 5}, kT0);
  // 10 owns kKey and waits for kOther; when it goes, kKey passes to 11.
  EXPECT_THAT(flights.Forget(10, kT0), ElementsAre(Waiter{11, 2}));
  EXPECT_THAT(flights.Finish(kOther), IsEmpty());
}

TEST(FlightsTest, OwnerPastTheTimeoutLosesTheKeyToTheOldestWaiter) {
  Flights flights(kTimeout);
  flights.Claim(kKey, {10, 1}, kT0);
  flights.Claim(kKey, {11, 2}, kT0 + 5);
  flights.Claim(kKey, {12, 3}, kT0 + 6);
  EXPECT_EQ(flights.EndIfOverdue(kKey, kT0 + kTimeout - 1), std::nullopt);
  EXPECT_THAT(flights.EndOverdue(kT0 + kTimeout - 1), IsEmpty());
  EXPECT_TRUE(flights.IsOwner(kKey, 10));

  std::vector<Flights::Overdue> ended = flights.EndOverdue(kT0 + kTimeout);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].key, kKey);
  EXPECT_EQ(ended[0].owner, 10u);
  EXPECT_EQ(ended[0].next, (Waiter{11, 2}));
  // The old owner holds nothing (its publish will be refused); the new one
  // gets a whole timeout of its own.
  EXPECT_FALSE(flights.IsOwner(kKey, 10));
  EXPECT_EQ(flights.ClaimsOf(10), 0u);
  EXPECT_TRUE(flights.IsOwner(kKey, 11));
  EXPECT_THAT(flights.EndOverdue(kT0 + 2 * kTimeout - 1), IsEmpty());
  EXPECT_THAT(flights.Finish(kKey), ElementsAre(Waiter{12, 3}));
}

TEST(FlightsTest, OverdueFlightWithoutWaitersEndsAndTheNextClaimOwnsAnew) {
  Flights flights(kTimeout);
  flights.Claim(kKey, {10, 1}, kT0);
  flights.Claim(kOther, {10, 2}, kT0 + kTimeout / 2);
  std::optional<Flights::Overdue> ended = flights.EndIfOverdue(kKey, kT0 + kTimeout);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->owner, 10u);
  EXPECT_EQ(ended->next, std::nullopt);
  EXPECT_EQ(flights.size(), 1u) << "kOther is not overdue yet";
  EXPECT_EQ(flights.Claim(kKey, {12, 3}, kT0 + kTimeout), Claimed::kOwner);
  // The old owner giving up afterwards changes nothing.
  EXPECT_EQ(flights.Abandon(kKey, 10, kT0 + kTimeout), std::nullopt);
  EXPECT_TRUE(flights.IsOwner(kKey, 12));
  EXPECT_TRUE(flights.IsOwner(kOther, 10));
}

TEST(FlightsTest, WithoutATimeoutAnOwnerHoldsItsKeyForEver) {
  Flights flights;
  flights.Claim(kKey, {10, 1}, kT0);
  flights.Claim(kKey, {11, 2}, kT0);
  EXPECT_THAT(flights.EndOverdue(~std::uint64_t{0}), IsEmpty());
  EXPECT_EQ(flights.EndIfOverdue(kKey, ~std::uint64_t{0}), std::nullopt);
  EXPECT_TRUE(flights.IsOwner(kKey, 10));
}

}  // namespace
}  // namespace sluice::keeper
