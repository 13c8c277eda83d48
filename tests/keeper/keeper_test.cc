// The cache keeper as a process: single flight, publishing inline and
// through sealed memfds, takeover when an owner dies or gives up, hits,
// clears, values too large to cache, and workers that misbehave. Every test
// talks to a real `sluice __keeper` over real sockets.
#include <capnp/serialize.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <regex>

#include "absl/strings/str_cat.h"
#include "ipc/packet.h"
#include "tests/keeper/keeper_process.h"
#include "tests/support/child_process.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using shm_cache::Key;
using ::testing::HasSubstr;

constexpr std::size_t kArenaBytes = 16u << 20;
constexpr Key kKey{0x1234, 0x5678};
constexpr Key kOtherKey{0x4321, 0x8765};

class KeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = KeeperProcess::Start(kArenaBytes);
    ASSERT_TRUE(started.ok()) << started.status();
    keeper_ = *std::move(started);
  }

  TestWorker NewWorker() {
    auto worker = keeper_->Attach();
    EXPECT_TRUE(worker.ok()) << worker.status();
    return worker.ok() ? *std::move(worker) : TestWorker(UniqueFd());
  }

  int CountInLog(const std::string& event) const {
    std::string log = keeper_->Log();
    std::string needle = "\"event\":\"" + event + "\"";
    int count = 0;
    for (std::size_t at = log.find(needle); at != std::string::npos;
         at = log.find(needle, at + 1)) {
      ++count;
    }
    return count;
  }

  std::unique_ptr<KeeperProcess> keeper_;
};

// Expects the next reply on `worker` to answer `id` with compute or ready.
void ExpectReply(TestWorker& worker, std::uint64_t id, bool compute) {
  absl::StatusOr<CacheReplyInfo> reply = worker.Next();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->id, id);
  EXPECT_EQ(reply->compute, compute) << (compute ? "expected compute" : "expected ready");
}

// `worker` claims `key` as `id` and is told to compute it: it owns the
// flight. An error says what happened instead.
absl::Status ClaimAndOwn(TestWorker& worker, std::uint64_t id, const Key& key,
                         std::uint32_t function = 1) {
  if (absl::Status sent = worker.Claim(id, key, function); !sent.ok()) return sent;
  absl::StatusOr<CacheReplyInfo> reply = worker.Next();
  if (!reply.ok()) return reply.status();
  if (reply->id != id || !reply->compute) {
    return absl::FailedPreconditionError(absl::StrCat(
        "claim ", id, " was not told to compute: ", reply->compute ? "compute" : "ready",
        " came for ", reply->id));
  }
  return absl::OkStatus();
}

// `worker` claims `key` as `id` and is told nothing before a later sync
// comes back: it waits for the flight's owner.
absl::Status ClaimAndWait(TestWorker& worker, std::uint64_t id, const Key& key,
                          std::uint32_t function = 1) {
  if (absl::Status sent = worker.Claim(id, key, function); !sent.ok()) return sent;
  return worker.Sync();
}

TEST_F(KeeperTest, FirstClaimOfAMissedKeyIsToldToCompute) {
  TestWorker worker = NewWorker();
  ASSERT_OK(ClaimAndOwn(worker, 7, kKey));
  EXPECT_EQ(keeper_->counters().misses, 1u);
  EXPECT_EQ(keeper_->counters().waits, 0u);
}

TEST_F(KeeperTest, SecondClaimWaitsForTheFirst) {
  TestWorker owner = NewWorker();
  TestWorker waiter = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(waiter.Claim(2, kKey));
  // The keeper answered the sync but not the claim before it: it waits.
  ASSERT_OK(waiter.Sync());
  EXPECT_EQ(keeper_->counters().misses, 2u);
  EXPECT_EQ(keeper_->counters().waits, 1u);
}

TEST_F(KeeperTest, PublishReleasesWaitersAndTheArenaHasTheValue) {
  TestWorker owner = NewWorker();
  TestWorker waiter = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(waiter.Claim(2, kKey));
  std::vector<std::byte> value = Pattern(1000, 1);
  ASSERT_OK(owner.Publish(kKey, value));
  ExpectReply(waiter, 2, /*compute=*/false);
  EXPECT_EQ(keeper_->Get(kKey), value);
  EXPECT_EQ(keeper_->counters().inserts, 1u);
  EXPECT_EQ(keeper_->counters().entries, 1u);
  // A claim that arrives after the value did is told to look again.
  TestWorker late = NewWorker();
  ASSERT_OK(late.Claim(3, kKey));
  ExpectReply(late, 3, false);
}

TEST_F(KeeperTest, SmallValuesAndEmptyValuesArePublishedInline) {
  TestWorker owner = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(owner.Publish(kKey, std::vector<std::byte>{}));
  ASSERT_OK(ClaimAndOwn(owner, 2, kOtherKey));
  ASSERT_OK(owner.Publish(kOtherKey, Pattern(40, 2)));
  ASSERT_OK(owner.Sync());
  EXPECT_EQ(keeper_->Get(kKey), std::vector<std::byte>{});
  EXPECT_EQ(keeper_->Get(kOtherKey), Pattern(40, 2));
}

TEST_F(KeeperTest, LargeValueTravelsInASealedMemfd) {
  TestWorker owner = NewWorker();
  TestWorker waiter = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(waiter.Claim(2, kKey));
  std::vector<std::byte> value = Pattern(3u << 20, 3);
  ASSERT_OK_AND_ASSIGN(UniqueFd memfd,
                       ValueMemfd(value, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
  ASSERT_OK(owner.PublishFd(kKey, value.size(), memfd.get()));
  memfd.reset();
  ExpectReply(waiter, 2, false);
  EXPECT_EQ(keeper_->Get(kKey), value);
}

TEST_F(KeeperTest, UnsealedMemfdIsRefusedAndItsSenderDropped) {
  TestWorker owner = NewWorker();
  TestWorker waiter = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(ClaimAndWait(waiter, 2, kKey));
  std::vector<std::byte> value = Pattern(1u << 20, 4);
  ASSERT_OK_AND_ASSIGN(UniqueFd memfd, ValueMemfd(value, 0));
  ASSERT_OK(owner.PublishFd(kKey, value.size(), memfd.get()));
  EXPECT_TRUE(owner.WaitForHangup());
  // The key passes to the waiter; nothing was cached.
  ExpectReply(waiter, 2, /*compute=*/true);
  EXPECT_EQ(keeper_->Get(kKey), std::nullopt);
  EXPECT_EQ(keeper_->counters().inserts, 0u);
  EXPECT_EQ(CountInLog("cache_worker_dropped"), 1) << keeper_->Log();
}

TEST_F(KeeperTest, MemfdOfTheWrongSizeOrShrinkableIsRefused) {
  std::vector<std::byte> value = Pattern(200000, 5);
  struct Case {
    int seals;
    std::uint64_t announced;
  };
  for (Case c : {Case{F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW, value.size() + 1},
                 Case{F_SEAL_WRITE | F_SEAL_GROW, value.size()},
                 Case{F_SEAL_SHRINK | F_SEAL_GROW, value.size()}}) {
    TestWorker owner = NewWorker();
    ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
    ASSERT_OK_AND_ASSIGN(UniqueFd memfd, ValueMemfd(value, c.seals));
    ASSERT_OK(owner.PublishFd(kKey, c.announced, memfd.get()));
    EXPECT_TRUE(owner.WaitForHangup()) << "seals " << c.seals << " size " << c.announced;
  }
  EXPECT_EQ(keeper_->Get(kKey), std::nullopt);
}

TEST_F(KeeperTest, OwnerKilledPassesTheKeyToTheOldestWaiter) {
  TestWorker owner = NewWorker();
  TestWorker first = NewWorker();
  TestWorker second = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(ClaimAndWait(first, 2, kKey));
  ASSERT_OK(ClaimAndWait(second, 3, kKey));
  // A real process holds the owner's socket, computing; then it is killed.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (;;) ::pause();
  }
  owner.Close();
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ExpectReply(first, 2, /*compute=*/true);
  ASSERT_OK(second.Sync());  // still waiting
  std::vector<std::byte> value = Pattern(5000, 6);
  ASSERT_OK(first.Publish(kKey, value));
  ExpectReply(second, 3, false);
  EXPECT_EQ(keeper_->Get(kKey), value);
}

TEST_F(KeeperTest, OwnerHangingUpPassesTheKey) {
  TestWorker owner = NewWorker();
  TestWorker waiter = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(ClaimAndWait(waiter, 2, kKey));
  owner.Close();
  ExpectReply(waiter, 2, true);
}

TEST_F(KeeperTest, AbandonPassesTheKeyToTheOldestWaiter) {
  TestWorker owner = NewWorker();
  TestWorker first = NewWorker();
  TestWorker second = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(ClaimAndWait(first, 2, kKey));
  ASSERT_OK(ClaimAndWait(second, 3, kKey));
  ASSERT_OK(owner.Abandon(kKey));
  ExpectReply(first, 2, true);
  ASSERT_OK(second.Sync());
  ASSERT_OK(first.Abandon(kKey));
  ExpectReply(second, 3, true);
  // The last owner abandons too: the flight is over, a new claim owns it.
  ASSERT_OK(second.Abandon(kKey));
  ASSERT_OK(ClaimAndOwn(owner, 4, kKey));
}

TEST_F(KeeperTest, WaiterThatAbandonsIsNeitherReleasedNorPromoted) {
  TestWorker owner = NewWorker();
  TestWorker quitter = NewWorker();
  TestWorker waiter = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(ClaimAndWait(quitter, 2, kKey));
  ASSERT_OK(ClaimAndWait(waiter, 3, kKey));
  ASSERT_OK(quitter.Abandon(kKey));
  owner.Close();
  ExpectReply(waiter, 3, true);
  ASSERT_OK(quitter.Sync());  // told nothing
}

TEST_F(KeeperTest, PublishFromAWorkerThatDoesNotOwnTheKeyIsDropped) {
  TestWorker owner = NewWorker();
  TestWorker other = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(other.Publish(kKey, Pattern(100, 7)));
  ASSERT_OK(other.Publish(kOtherKey, Pattern(100, 7)));  // never claimed by anyone
  ASSERT_OK(other.Sync());
  EXPECT_EQ(keeper_->Get(kKey), std::nullopt);
  EXPECT_EQ(keeper_->Get(kOtherKey), std::nullopt);
  std::vector<std::byte> value = Pattern(100, 8);
  ASSERT_OK(owner.Publish(kKey, value));
  ASSERT_OK(owner.Sync());
  EXPECT_EQ(keeper_->Get(kKey), value);
}

TEST_F(KeeperTest, EntriesAreImmutable) {
  TestWorker owner = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  std::vector<std::byte> value = Pattern(100, 9);
  ASSERT_OK(owner.Publish(kKey, value));
  ASSERT_OK(owner.Publish(kKey, Pattern(100, 10)));  // the flight is over: dropped
  ASSERT_OK(owner.Sync());
  EXPECT_EQ(keeper_->Get(kKey), value);
  EXPECT_EQ(keeper_->counters().inserts, 1u);
}

TEST_F(KeeperTest, TtlSetsTheEntrysDeadline) {
  TestWorker owner = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  std::uint64_t before = shm_cache::MonotonicNowNs();
  ASSERT_OK(owner.Publish(kKey, Pattern(100, 11), 1, /*ttl_ms=*/60'000));
  ASSERT_OK(owner.Sync());
  EXPECT_TRUE(keeper_->reader().Contains(kKey, before));
  EXPECT_FALSE(keeper_->reader().Contains(kKey, shm_cache::MonotonicNowNs() + 61'000'000'000ull));
}

TEST_F(KeeperTest, HitReportsAreCountedAndTouchesAreNot) {
  TestWorker worker = NewWorker();
  ASSERT_OK(ClaimAndOwn(worker, 1, kKey));
  ASSERT_OK(worker.Publish(kKey, Pattern(100, 12)));
  ASSERT_OK(worker.Touch({kKey, kOtherKey}));
  ASSERT_OK(worker.Hits(3));
  ASSERT_OK(worker.Hits(2));
  ASSERT_OK(worker.Sync());
  EXPECT_EQ(keeper_->counters().hits, 5u);
  EXPECT_TRUE(keeper_->reader().Contains(kKey, shm_cache::MonotonicNowNs()));
}

TEST_F(KeeperTest, WorkersClearAllAFunctionOrAKey) {
  TestWorker worker = NewWorker();
  auto put = [&](const Key& key, std::uint32_t function) {
    static std::uint64_t id = 100;
    ASSERT_OK(ClaimAndOwn(worker, ++id, key, function));
    ASSERT_OK(worker.Publish(key, Pattern(200, function), function));
  };
  const Key a{1, 1}, b{2, 2}, c{3, 3}, d{4, 4};
  put(a, 1);
  put(b, 1);
  put(c, 2);
  put(d, 3);
  ASSERT_OK(worker.ClearKey(11, d));
  ExpectReply(worker, 11, false);
  EXPECT_EQ(keeper_->Get(d), std::nullopt);
  EXPECT_TRUE(keeper_->Get(a).has_value());
  ASSERT_OK(worker.ClearFunction(12, 1));
  ExpectReply(worker, 12, false);
  EXPECT_EQ(keeper_->Get(a), std::nullopt);
  EXPECT_EQ(keeper_->Get(b), std::nullopt);
  EXPECT_TRUE(keeper_->Get(c).has_value());
  ASSERT_OK(worker.ClearAll(13));
  ExpectReply(worker, 13, false);
  EXPECT_EQ(keeper_->Get(c), std::nullopt);
  EXPECT_EQ(keeper_->counters().entries, 0u);
  EXPECT_EQ(keeper_->counters().clears, 3u);
  EXPECT_EQ(CountInLog("cache_cleared"), 3) << keeper_->Log();
}

TEST_F(KeeperTest, BrokerClearReportsHowManyEntriesWentAway) {
  TestWorker worker = NewWorker();
  for (std::uint64_t i = 1; i <= 3; ++i) {
    ASSERT_OK(ClaimAndOwn(worker, i, Key{i, i}));
    ASSERT_OK(worker.Publish(Key{i, i}, Pattern(100, static_cast<unsigned>(i))));
  }
  ASSERT_OK(worker.Sync());
  ASSERT_OK_AND_ASSIGN(std::uint64_t removed, keeper_->Clear(42));
  EXPECT_EQ(removed, 3u);
  EXPECT_EQ(keeper_->counters().entries, 0u);
  ASSERT_OK_AND_ASSIGN(removed, keeper_->Clear(43));
  EXPECT_EQ(removed, 0u);
}

TEST(KeeperSmallArenaTest, TooLargeValueIsNotCachedWaitersAreReleasedAndOneWarningIsLogged) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KeeperProcess> keeper, KeeperProcess::Start(1u << 20));
  ASSERT_OK_AND_ASSIGN(TestWorker owner, keeper->Attach());
  ASSERT_OK_AND_ASSIGN(TestWorker waiter, keeper->Attach());
  std::vector<std::byte> value = Pattern(2u << 20, 13);
  ASSERT_OK_AND_ASSIGN(UniqueFd memfd,
                       ValueMemfd(value, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW));
  for (std::uint64_t round = 0; round < 2; ++round) {
    ASSERT_OK(ClaimAndOwn(owner, 10 + round, kKey, /*function=*/9));
    ASSERT_OK(ClaimAndWait(waiter, 20 + round, kKey, 9));
    ASSERT_OK(owner.PublishFd(kKey, value.size(), memfd.get(), 9));
    ExpectReply(waiter, 20 + round, /*compute=*/false);
    EXPECT_EQ(keeper->Get(kKey), std::nullopt);
  }
  std::string log = keeper->Log();
  std::regex warning("\"event\":\"cache_value_not_cached\"");
  auto count =
      std::distance(std::sregex_iterator(log.begin(), log.end(), warning), std::sregex_iterator());
  EXPECT_EQ(count, 1) << log;
  EXPECT_THAT(log, HasSubstr("\"function\":9"));
}

TEST_F(KeeperTest, GarbageFromOneWorkerDoesNotHurtAnother) {
  TestWorker honest = NewWorker();
  ASSERT_OK(ClaimAndOwn(honest, 1, kKey));

  // Bytes that are no message at all.
  TestWorker garbage = NewWorker();
  std::vector<std::byte> noise = Pattern(4096, 14);
  ASSERT_OK(garbage.SendRaw(noise));
  EXPECT_TRUE(garbage.WaitForHangup());

  // A packet larger than any message may be.
  TestWorker oversized = NewWorker();
  std::vector<std::byte> big(ipc::kMaxPacketBytes + 8);
  ASSERT_OK(oversized.SendRaw(big));
  EXPECT_TRUE(oversized.WaitForHangup());

  // A well-formed claim with a descriptor it has no business carrying.
  TestWorker smuggler = NewWorker();
  capnp::MallocMessageBuilder message;
  auto claim = message.initRoot<ipc::CacheRequest>().initClaim();
  claim.setId(5);
  ASSERT_OK_AND_ASSIGN(UniqueFd stray, ValueMemfd(noise, 0));
  ASSERT_OK(ipc::SendPacket(smuggler.fd(), message, {stray.get()}));
  EXPECT_TRUE(smuggler.WaitForHangup());

  // A claim on a key owned elsewhere, then garbage: its waiting ends with it.
  TestWorker waiter = NewWorker();
  ASSERT_OK(waiter.Claim(6, kKey));
  ASSERT_OK(waiter.SendRaw(noise));
  EXPECT_TRUE(waiter.WaitForHangup());

  // The honest worker is unaffected, and nobody else waits on its key.
  std::vector<std::byte> value = Pattern(300, 15);
  ASSERT_OK(honest.Publish(kKey, value));
  ASSERT_OK(honest.Sync());
  EXPECT_EQ(keeper_->Get(kKey), value);
  EXPECT_EQ(CountInLog("cache_worker_dropped"), 4) << keeper_->Log();
}

TEST_F(KeeperTest, CorruptedMessagesNeverStopTheKeeper) {
  // Well-formed requests with bytes flipped at random: each may decode to
  // anything or nothing; the keeper must go on serving honest workers.
  TestWorker honest = NewWorker();
  std::vector<TestWorker> fuzzed_workers;
  std::mt19937 random(20261123);
  for (int round = 0; round < 300; ++round) {
    capnp::MallocMessageBuilder message;
    auto request = message.initRoot<ipc::CacheRequest>();
    switch (round % 4) {
      case 0: {
        auto claim = request.initClaim();
        claim.setId(round);
        claim.initKey().setLow(round);
        break;
      }
      case 1: {
        auto publish = request.initPublish();
        publish.initKey().setLow(round);
        publish.setSize(16);
        publish.initInline(16);
        break;
      }
      case 2:
        request.initTouch(3);
        break;
      case 3:
        request.initClear().setFunction(round);
        break;
    }
    kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
    auto bytes = words.asBytes();
    for (int flips = 0; flips < 3; ++flips) {
      bytes[random() % bytes.size()] = static_cast<kj::byte>(random());
    }
    TestWorker& fuzzed = fuzzed_workers.emplace_back(NewWorker());
    ASSERT_OK(fuzzed.SendRaw(std::span<const std::byte>(
        reinterpret_cast<const std::byte*>(bytes.begin()), bytes.size())));
    if (round % 50 == 0) {
      ASSERT_OK(ClaimAndOwn(honest, round, Key{round + 1u, 99}));
    }
  }
  // Every fuzzed message has been handled once each worker was answered or
  // dropped (what it was told does not matter).
  for (TestWorker& fuzzed : fuzzed_workers) {
    absl::Status synced = fuzzed.Sync();
    EXPECT_FALSE(absl::IsDeadlineExceeded(synced)) << synced;
  }
  ASSERT_OK(honest.Sync());
}

TEST_F(KeeperTest, TooManyOpenClaimsDropTheWorker) {
  TestWorker greedy = NewWorker();
  for (std::uint64_t i = 0; i < 256; ++i) {
    ASSERT_OK(ClaimAndOwn(greedy, i, Key{i + 1, 77}));
  }
  ASSERT_OK(greedy.Claim(256, Key{257, 77}));
  EXPECT_TRUE(greedy.WaitForHangup());
  TestWorker honest = NewWorker();
  ASSERT_OK(ClaimAndOwn(honest, 1, Key{1, 77}));  // the greedy worker's claims went with it
}

TEST_F(KeeperTest, WorkerThatReadsNoRepliesIsDroppedNotWaitedFor) {
  TestWorker owner = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(owner.Publish(kKey, Pattern(100, 16)));
  // Each claim of a cached key is answered at once; never reading them
  // fills the socket until the keeper gives up on this worker.
  TestWorker deaf = NewWorker();
  bool dropped = false;
  for (std::uint64_t i = 0; i < 1'000'000 && !dropped; ++i) {
    absl::Status sent = deaf.Claim(i, kKey);
    dropped = !sent.ok();
  }
  EXPECT_TRUE(dropped);
  EXPECT_TRUE(deaf.WaitForHangup());
  TestWorker honest = NewWorker();
  ASSERT_OK(honest.Claim(1, kKey));
  ExpectReply(honest, 1, false);
  EXPECT_THAT(keeper_->Log(), HasSubstr("its socket is full"));
}

TEST_F(KeeperTest, ExitsWhenTheControlSocketCloses) {
  TestWorker worker = NewWorker();
  ASSERT_OK(ClaimAndOwn(worker, 1, kKey));
  keeper_->CloseControl();
  ASSERT_OK_AND_ASSIGN(int status, keeper_->WaitForExit());
  ASSERT_TRUE(WIFEXITED(status)) << DescribeWaitStatus(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(worker.WaitForHangup());
}

TEST_F(KeeperTest, ArenaIsSealedBeforeTheKeeperIsReady) {
  // Whoever else holds the arena's descriptor (the zygote, so every worker)
  // can map it only read-only, and cannot resize it.
  int seals = ::fcntl(keeper_->arena_fd(), F_GET_SEALS);
  ASSERT_GE(seals, 0);
  EXPECT_NE(seals & F_SEAL_FUTURE_WRITE, 0);
  EXPECT_NE(seals & F_SEAL_SHRINK, 0);
  EXPECT_NE(seals & F_SEAL_GROW, 0);
  void* writable =
      ::mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE, MAP_SHARED, keeper_->arena_fd(), 0);
  EXPECT_EQ(writable, MAP_FAILED);
  if (writable != MAP_FAILED) ::munmap(writable, kArenaBytes);
}

// Pins: a worker maps a large entry MAP_PRIVATE instead of copying it.

// `worker` claims `key` and publishes `value` through a sealed memfd.
absl::Status PublishThroughMemfd(TestWorker& worker, std::uint64_t claim_id, const Key& key,
                                 std::span<const std::byte> value) {
  if (absl::Status owned = ClaimAndOwn(worker, claim_id, key); !owned.ok()) return owned;
  absl::StatusOr<UniqueFd> memfd =
      ValueMemfd(value, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  if (!memfd.ok()) return memfd.status();
  return worker.PublishFd(key, value.size(), memfd->get());
}

// Publishes `value` as PublishThroughMemfd does; where the arena holds it.
absl::StatusOr<shm_cache::Reader::Location> PublishAndLocate(const KeeperProcess& keeper,
                                                             TestWorker& worker,
                                                             std::uint64_t claim_id, const Key& key,
                                                             std::span<const std::byte> value) {
  if (absl::Status sent = PublishThroughMemfd(worker, claim_id, key, value); !sent.ok()) {
    return sent;
  }
  if (absl::Status synced = worker.Sync(); !synced.ok()) return synced;
  auto location = keeper.reader().Locate(key, shm_cache::MonotonicNowNs());
  if (!location) return absl::NotFoundError("the published value is not in the arena");
  return *location;
}

// `worker` asks to pin what `location` names under `key`; the keeper's answer.
absl::StatusOr<CacheReplyInfo> PinAndWait(TestWorker& worker, std::uint64_t id, const Key& key,
                                          std::uint64_t file_offset, std::uint64_t size) {
  if (absl::Status sent = worker.Pin(id, key, file_offset, size); !sent.ok()) return sent;
  return worker.Next();
}

// Maps `size` bytes of `fd` at `offset` privately; nullptr on failure.
std::byte* MapPrivately(int fd, std::uint64_t offset, std::size_t size) {
  void* map =
      ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, static_cast<off_t>(offset));
  return map == MAP_FAILED ? nullptr : static_cast<std::byte*>(map);
}

TEST_F(KeeperTest, PinnedEntryMapsPrivatelyAndStaysAsItWasAfterItLeaves) {
  TestWorker owner = NewWorker();
  TestWorker reader = NewWorker();
  const std::vector<std::byte> value = Pattern(3u << 20, 11);
  ASSERT_OK_AND_ASSIGN(auto location, PublishAndLocate(*keeper_, owner, 1, kKey, value));

  ASSERT_OK_AND_ASSIGN(CacheReplyInfo reply,
                       PinAndWait(reader, 7, kKey, location.file_offset, location.size));
  EXPECT_EQ(reply.id, 7u);
  ASSERT_TRUE(reply.pinned);
  ASSERT_TRUE(reply.fd.valid()) << "a pin comes with the arena's descriptor";
  // Read-only: the worker can map it privately and nothing else.
  EXPECT_EQ(::fcntl(reply.fd.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  void* shared =
      ::mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE, MAP_SHARED, reply.fd.get(), 0);
  EXPECT_EQ(shared, MAP_FAILED);
  std::byte* mapped = MapPrivately(reply.fd.get(), location.file_offset, location.size);
  ASSERT_NE(mapped, nullptr) << std::strerror(errno);
  EXPECT_TRUE(std::equal(value.begin(), value.end(), mapped));
  // Writing to the first half is private: the arena's bytes stay.
  std::fill_n(mapped, value.size() / 2, std::byte{0xee});
  EXPECT_EQ(keeper_->Get(kKey), value);

  // The entry leaves; new values take every byte they can.
  ASSERT_OK_AND_ASSIGN(std::uint64_t removed, keeper_->Clear(1));
  EXPECT_EQ(removed, 1u);
  for (std::uint64_t i = 0; i < 6; ++i) {
    ASSERT_OK(PublishThroughMemfd(owner, 10 + i, Key{100 + i, i}, Pattern(2u << 20, 20 + i)));
  }
  ASSERT_OK(owner.Sync());
  EXPECT_TRUE(std::equal(value.begin() + value.size() / 2, value.end(), mapped + value.size() / 2))
      << "pages the worker did not write changed under it";
  EXPECT_GE(keeper_->counters().bytes_used, value.size()) << "the pinned bytes count as used";

  ::munmap(mapped, location.size);
  ASSERT_OK(reader.Unpin(location.file_offset));
  ASSERT_OK(reader.Sync());
  EXPECT_LT(keeper_->counters().bytes_used, 13u << 20);
}

TEST_F(KeeperTest, PinIsRefusedForAnInlineEntryAnotherOffsetOrTooManyBytes) {
  TestWorker owner = NewWorker();
  TestWorker reader = NewWorker();
  ASSERT_OK(ClaimAndOwn(owner, 1, kKey));
  ASSERT_OK(owner.Publish(kKey, Pattern(40, 1)));
  ASSERT_OK_AND_ASSIGN(auto location,
                       PublishAndLocate(*keeper_, owner, 2, kOtherKey, Pattern(9u << 20, 2)));

  auto expect_refused = [&](std::uint64_t id, const Key& key, std::uint64_t offset,
                            std::uint64_t size) {
    ASSERT_OK_AND_ASSIGN(CacheReplyInfo reply, PinAndWait(reader, id, key, offset, size));
    EXPECT_EQ(reply.id, id);
    EXPECT_TRUE(reply.refused) << id;
    EXPECT_FALSE(reply.fd.valid()) << id;
  };
  expect_refused(10, kKey, 0, 40);                                            // inline
  expect_refused(11, kOtherKey, location.file_offset + 4096, location.size);  // offset
  expect_refused(12, Key{9, 9}, location.file_offset, location.size);         // no entry
  // 9 MiB is more than the half of the 16 MiB arena one worker may hold.
  expect_refused(13, kOtherKey, location.file_offset, location.size);
}

TEST_F(KeeperTest, UnpinningWhatItDidNotPinDropsTheWorker) {
  TestWorker worker = NewWorker();
  ASSERT_OK(worker.Unpin(1u << 20));
  EXPECT_TRUE(worker.WaitForHangup());
}

TEST_F(KeeperTest, AWorkerThatHangsUpReleasesItsPins) {
  TestWorker owner = NewWorker();
  TestWorker reader = NewWorker();
  const std::vector<std::byte> value = Pattern(2u << 20, 5);
  ASSERT_OK_AND_ASSIGN(auto location, PublishAndLocate(*keeper_, owner, 1, kKey, value));
  ASSERT_OK_AND_ASSIGN(CacheReplyInfo reply,
                       PinAndWait(reader, 2, kKey, location.file_offset, location.size));
  ASSERT_TRUE(reply.pinned);
  ASSERT_OK_AND_ASSIGN(std::uint64_t removed, keeper_->Clear(1));
  EXPECT_EQ(removed, 1u);
  EXPECT_GE(keeper_->counters().bytes_used, value.size());
  reader.Close();
  // The keeper hears the hang-up before the next request of another worker
  // only by chance: wait for the bytes to come back.
  Deadline deadline = After(kStepTimeout);
  while (keeper_->counters().bytes_used != 0 && Clock::now() < deadline) {
    ASSERT_OK(owner.Sync());
  }
  EXPECT_EQ(keeper_->counters().bytes_used, 0u);
}

}  // namespace
}  // namespace sluice::testing
