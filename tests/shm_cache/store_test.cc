// shm_cache/store.h and reader.h in one process: what the keeper's Store
// publishes, a Reader on the read-only mapping finds byte for byte; TTL,
// max_entries and LRU eviction under the byte budget pick the right victims;
// the stats add up.
#include "shm_cache/store.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "tests/shm_cache/test_arena.h"
#include "tests/support/status_macros.h"

namespace sluice::shm_cache::testing {
namespace {

constexpr std::size_t kArenaBytes = 4u << 20;
constexpr std::uint64_t kNow = 1'000'000;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(arena_, TestArena::Create(kArenaBytes)); }
  void TearDown() override {
    if (arena_ != nullptr) EXPECT_OK(store().CheckConsistency());
  }

  Store& store() { return arena_->store(); }
  std::optional<std::vector<std::byte>> Get(const Key& key, std::uint64_t now_ns = kNow) {
    return Lookup(arena_->reader(), key, now_ns);
  }
  bool Has(std::uint64_t id) { return Get(KeyFor(id)).has_value(); }
  absl::Status Put(std::uint64_t id, std::size_t size, EntryOptions options = {},
                   std::uint64_t version = 1) {
    return store().Insert(KeyFor(id), ValueFor(id, version, size), options, kNow);
  }
  std::uint64_t data_size() const { return arena_->header().data_size; }

  std::unique_ptr<TestArena> arena_;
};

TEST_F(StoreTest, InsertedValuesReadBackByteForByte) {
  const std::size_t sizes[] = {0, 1, 64, 1u << 20};
  for (std::size_t size : sizes) ASSERT_OK(Put(size, size));
  for (std::size_t size : sizes) {
    std::optional<std::vector<std::byte>> value = Get(KeyFor(size));
    ASSERT_TRUE(value.has_value()) << size << "-byte value";
    EXPECT_EQ(*value, ValueFor(size, 1, size)) << size << "-byte value";
  }
}

TEST_F(StoreTest, UnknownKeyMisses) {
  ASSERT_OK(Put(1, 100));
  EXPECT_FALSE(Get(KeyFor(2)).has_value());
  // Same low half (so the same home slot), other high half.
  Key near = KeyFor(1);
  near.high ^= 1;
  EXPECT_FALSE(Get(near).has_value());
}

TEST_F(StoreTest, ReplacingAKeyReturnsTheNewValue) {
  ASSERT_OK(Put(7, 100, {}, /*version=*/1));
  ASSERT_OK(Put(7, 5000, {}, /*version=*/2));
  EXPECT_EQ(Get(KeyFor(7)), ValueFor(7, 2, 5000));
  ASSERT_OK(Put(7, 3, {}, /*version=*/3));
  EXPECT_EQ(Get(KeyFor(7)), ValueFor(7, 3, 3));
  EXPECT_EQ(store().stats().entries, 1u);
}

TEST_F(StoreTest, ReaderCountersMirrorTheStoreStats) {
  for (int i = 0; i < 5; ++i) ASSERT_OK(Put(i, 1000));
  ASSERT_TRUE(store().Erase(KeyFor(0)));
  StoreStats stats = store().stats();
  ArenaCounters counters = arena_->reader().counters();
  EXPECT_EQ(counters.entries, stats.entries);
  EXPECT_EQ(counters.bytes_used, stats.bytes_used);
  EXPECT_EQ(counters.inserts, stats.inserts);
  EXPECT_EQ(counters.evictions, stats.evictions);
  EXPECT_EQ(stats.entries, 4u);
  EXPECT_EQ(stats.inserts, 5u);
  EXPECT_EQ(stats.evictions, 1u);
}

TEST_F(StoreTest, EntryIsAMissFromItsDeadlineOn) {
  ASSERT_OK(Put(1, 100, {.expires_ns = 2000}));
  ASSERT_OK(Put(2, 100, {.expires_ns = 0}));  // never expires
  EXPECT_TRUE(Get(KeyFor(1), 1999).has_value());
  EXPECT_FALSE(Get(KeyFor(1), 2000).has_value());
  EXPECT_FALSE(Get(KeyFor(1), 1'000'000'000).has_value());
  EXPECT_TRUE(Get(KeyFor(2), ~std::uint64_t{0}).has_value());
}

// Reader::GetInto, the callback-free path for small values, and the
// overloads that read the clock themselves, all agree with Get().
TEST_F(StoreTest, GetIntoCopiesValuesThatFitAndSizesThoseThatDoNot) {
  const std::size_t sizes[] = {0, 1, 63, 64, 65, 1000};
  for (std::size_t size : sizes) ASSERT_OK(Put(size, size));
  for (std::size_t size : sizes) {
    std::vector<std::byte> expected = ValueFor(size, 1, size);
    std::array<std::byte, kInlineBytes> out;
    std::optional<std::size_t> got = arena_->reader().GetInto(KeyFor(size), out);
    ASSERT_EQ(got, size) << size << "-byte value";
    if (size <= out.size()) {
      EXPECT_EQ(std::vector<std::byte>(out.begin(), out.begin() + size), expected) << size;
    }
    std::vector<std::byte> large(2000);
    ASSERT_EQ(arena_->reader().GetInto(KeyFor(size), kNow, large), size) << size;
    EXPECT_EQ(std::vector<std::byte>(large.begin(), large.begin() + size), expected) << size;
    // A buffer smaller than kInlineBytes: the small values still fit.
    std::array<std::byte, 8> small;
    ASSERT_EQ(arena_->reader().GetInto(KeyFor(size), small), size) << size;
    if (size <= small.size()) {
      EXPECT_EQ(std::vector<std::byte>(small.begin(), small.begin() + size), expected) << size;
    }
  }
  std::array<std::byte, kInlineBytes> out;
  EXPECT_EQ(arena_->reader().GetInto(KeyFor(7), out), std::nullopt);
  Key near = KeyFor(64);
  near.high ^= 1;
  EXPECT_EQ(arena_->reader().GetInto(near, out), std::nullopt);
}

TEST_F(StoreTest, SmallValuesAwayFromTheirHomeSlotAreFoundByEveryLookup) {
  const std::uint32_t home = 700;
  for (std::uint64_t id = 0; id < 5; ++id) {
    ASSERT_OK(store().Insert(KeyAtHome(home, id), ValueFor(id, 1, 40), {}, kNow));
  }
  ASSERT_TRUE(store().Erase(KeyAtHome(home, 0)));
  for (std::uint64_t id = 1; id < 5; ++id) {
    std::array<std::byte, kInlineBytes> out;
    ASSERT_EQ(arena_->reader().GetInto(KeyAtHome(home, id), out), 40u) << id;
    EXPECT_EQ(std::vector<std::byte>(out.begin(), out.begin() + 40), ValueFor(id, 1, 40)) << id;
    EXPECT_EQ(Get(KeyAtHome(home, id)), ValueFor(id, 1, 40)) << id;
  }
  std::array<std::byte, kInlineBytes> out;
  EXPECT_EQ(arena_->reader().GetInto(KeyAtHome(home, 0), out), std::nullopt);
}

TEST_F(StoreTest, LookupsThatReadTheClockRespectDeadlines) {
  const Reader& reader = arena_->reader();
  std::uint64_t now = MonotonicNowNs();
  const std::uint64_t kHour = 3600'000'000'000ull;
  for (std::size_t size : {std::size_t{32}, std::size_t{1000}}) {
    Key past = KeyFor(10 + size), future = KeyFor(20 + size), never = KeyFor(30 + size);
    ASSERT_OK(store().Insert(past, ValueFor(1, 1, size), {.expires_ns = now - 1}, kNow));
    ASSERT_OK(store().Insert(future, ValueFor(2, 1, size), {.expires_ns = now + kHour}, kNow));
    ASSERT_OK(store().Insert(never, ValueFor(3, 1, size), {}, kNow));

    std::vector<std::byte> out(2000);
    auto allocate = [&](std::size_t n) {
      out.resize(n);
      return out.data();
    };
    auto accept = [](std::span<const std::byte>, std::uint16_t) { return true; };
    EXPECT_EQ(reader.GetInto(past, out), std::nullopt) << size;
    EXPECT_FALSE(reader.Get(past, allocate)) << size;
    EXPECT_FALSE(reader.Read(past, accept)) << size;

    for (auto [key, id] : {std::pair{future, 2}, std::pair{never, 3}}) {
      out.assign(2000, std::byte{0});
      ASSERT_EQ(reader.GetInto(key, out), size) << size << " " << id;
      EXPECT_EQ(std::vector<std::byte>(out.begin(), out.begin() + size), ValueFor(id, 1, size));
      ASSERT_TRUE(reader.Get(key, allocate)) << size << " " << id;
      EXPECT_EQ(out, ValueFor(id, 1, size));
      std::vector<std::byte> visited;
      ASSERT_TRUE(reader.Read(key,
                              [&](std::span<const std::byte> bytes, std::uint16_t) {
                                visited.assign(bytes.begin(), bytes.end());
                                return true;
                              }))
          << size << " " << id;
      EXPECT_EQ(visited, ValueFor(id, 1, size));
    }
  }
}

TEST_F(StoreTest, InlineValueIsAMissFromItsDeadlineOnThroughGetInto) {
  ASSERT_OK(Put(1, 32, {.expires_ns = 2000}));
  std::array<std::byte, kInlineBytes> out;
  EXPECT_EQ(arena_->reader().GetInto(KeyFor(1), 1999, out), 32u);
  EXPECT_EQ(arena_->reader().GetInto(KeyFor(1), 2000, out), std::nullopt);
  EXPECT_EQ(arena_->reader().GetInto(KeyFor(1), ~std::uint64_t{0}, out), std::nullopt);
}

TEST_F(StoreTest, ReadIsAMissWhenTheVisitorRefuses) {
  ASSERT_OK(Put(1, 32));
  ASSERT_OK(Put(2, 1000));
  for (std::uint64_t id : {1, 2}) {
    EXPECT_FALSE(arena_->reader().Read(KeyFor(id), [](std::span<const std::byte>, std::uint16_t) {
      return false;
    })) << id;
    EXPECT_TRUE(arena_->reader().Read(
        KeyFor(id), kNow, [](std::span<const std::byte>, std::uint16_t) { return true; }))
        << id;
  }
}

TEST_F(StoreTest, ReadHandsBackTheKindTheValueWasPublishedWith) {
  // Inline (home slot and general path) and in the data region.
  for (std::size_t size : {std::size_t{16}, kInlineBytes, std::size_t{5000}}) {
    ASSERT_OK(Put(size, size, {.kind = 7}));
    ASSERT_OK(Put(size + 1, size, {}));
    for (auto [id, kind] : {std::pair{size, 7}, std::pair{size + 1, 0}}) {
      int seen = -1;
      ASSERT_TRUE(arena_->reader().Read(KeyFor(id), [&](std::span<const std::byte> bytes,
                                                        std::uint16_t value_kind) {
        seen = value_kind;
        return bytes.size() == size;
      })) << size;
      EXPECT_EQ(seen, kind) << size;
    }
  }
}

TEST_F(StoreTest, EvictExpiredRemovesOnlyExpiredEntries) {
  ASSERT_OK(Put(1, 100, {.expires_ns = 2000}));
  ASSERT_OK(Put(2, 100, {.expires_ns = 3000}));
  ASSERT_OK(Put(3, 100, {.expires_ns = 0}));
  StoreStats before = store().stats();

  EXPECT_EQ(store().EvictExpired(1999), 0u);
  EXPECT_EQ(store().EvictExpired(2000), 1u);
  StoreStats after = store().stats();
  EXPECT_EQ(after.entries, before.entries - 1);
  EXPECT_EQ(after.evictions, before.evictions + 1);
  EXPECT_LT(after.bytes_used, before.bytes_used);
  // Gone from the index, not just expired: a reader before the deadline misses too.
  EXPECT_FALSE(Get(KeyFor(1), 0).has_value());
  EXPECT_TRUE(Get(KeyFor(2), 2000).has_value());
  EXPECT_TRUE(Get(KeyFor(3), 2000).has_value());
  EXPECT_EQ(store().EvictExpired(2000), 0u);
}

TEST_F(StoreTest, ExpiredEntriesMakeRoomBeforeLiveOnes) {
  constexpr std::size_t kMiB = 1u << 20;
  ASSERT_OK(Put(1, kMiB));  // least recently used, never expires
  ASSERT_OK(Put(2, kMiB, {.expires_ns = 100}));
  ASSERT_OK(Put(3, kMiB, {.expires_ns = 100}));
  // Four MiB values do not fit in a 4 MiB arena with its index: the fourth
  // needs room, and the expired ones give it.
  ASSERT_OK(store().Insert(KeyFor(4), ValueFor(4, 1, kMiB), {}, /*now_ns=*/200));
  EXPECT_TRUE(Has(1));
  EXPECT_FALSE(Get(KeyFor(2), 0).has_value());
  EXPECT_FALSE(Get(KeyFor(3), 0).has_value());
  EXPECT_TRUE(Has(4));
}

TEST_F(StoreTest, MaxEntriesEvictsThatFunctionsLeastRecentlyUsed) {
  const EntryOptions a{.function = 1, .max_entries = 3};
  const EntryOptions b{.function = 2};
  // Function 2's entries are the oldest in the whole cache.
  ASSERT_OK(Put(20, 100, b));
  ASSERT_OK(Put(21, 100, b));
  ASSERT_OK(Put(10, 100, a));
  ASSERT_OK(Put(11, 100, a));
  ASSERT_OK(Put(12, 100, a));

  ASSERT_OK(Put(13, 100, a));  // 10 is function 1's least recently used
  EXPECT_FALSE(Has(10));
  EXPECT_TRUE(Has(11) && Has(12) && Has(13));
  EXPECT_TRUE(Has(20) && Has(21));
  EXPECT_EQ(store().stats().evictions, 1u);

  store().Touch(KeyFor(11));
  ASSERT_OK(Put(14, 100, a));  // now 12 is
  EXPECT_TRUE(Has(11));
  EXPECT_FALSE(Has(12));
  EXPECT_TRUE(Has(13) && Has(14));
  EXPECT_TRUE(Has(20) && Has(21));
  EXPECT_EQ(store().stats().entries, 5u);
}

TEST_F(StoreTest, ReplacingAnEntryOfAFullFunctionEvictsNoOther) {
  const EntryOptions a{.function = 1, .max_entries = 3};
  ASSERT_OK(Put(10, 100, a));
  ASSERT_OK(Put(11, 100, a));
  ASSERT_OK(Put(12, 100, a));
  ASSERT_OK(Put(10, 200, a, /*version=*/2));
  EXPECT_EQ(Get(KeyFor(10)), ValueFor(10, 2, 200));
  EXPECT_TRUE(Has(11) && Has(12));
  EXPECT_EQ(store().stats().entries, 3u);
}

// Equal values, so each eviction frees exactly one value's room.
TEST_F(StoreTest, ByteBudgetEvictsLeastRecentlyUsedFirst) {
  constexpr std::size_t kValue = 60 * 1024;
  std::uint64_t n = 0;
  while (store().stats().evictions == 0) {
    ASSERT_LT(n, data_size() / kValue + 1) << "a full arena evicted nothing";
    ASSERT_OK(Put(n, kValue));
    ++n;
  }
  // Keys 0..n-1 are in; the last insert made room by evicting key 0.
  const std::uint64_t capacity = store().stats().entries;
  EXPECT_EQ(capacity, n - 1);
  EXPECT_FALSE(Has(0));
  for (std::uint64_t id = 1; id < n; ++id) ASSERT_TRUE(Has(id)) << id;

  store().Touch(KeyFor(1));
  store().Touch(KeyFor(2));
  for (std::uint64_t id = n; id < n + 3; ++id) ASSERT_OK(Put(id, kValue));
  EXPECT_TRUE(Has(1));
  EXPECT_TRUE(Has(2));
  EXPECT_FALSE(Has(3));
  EXPECT_FALSE(Has(4));
  EXPECT_FALSE(Has(5));
  for (std::uint64_t id = 6; id < n + 3; ++id) {
    ASSERT_EQ(Get(KeyFor(id)), ValueFor(id, 1, kValue)) << id;
  }

  StoreStats stats = store().stats();
  EXPECT_EQ(stats.entries, capacity);
  EXPECT_EQ(stats.inserts, n + 3);
  EXPECT_EQ(stats.evictions, 4u);
  EXPECT_EQ(stats.inserts - stats.evictions, stats.entries);
  EXPECT_GE(stats.bytes_used, capacity * (kValue + sizeof(EntryHeader)));
  EXPECT_LE(stats.bytes_used, data_size());
  // Full: another value's block would not have fit beside them.
  EXPECT_GT(stats.bytes_used + stats.bytes_used / capacity, data_size());
}

// An inline value takes no data bytes, so evicting it would make no room.
TEST_F(StoreTest, MakingRoomEvictsOnlyValuesInTheDataRegion) {
  constexpr std::size_t kValue = 60 * 1024;
  constexpr std::uint64_t kSmall = 1'000'000;  // ids of the inline values
  // The inline values are the least recently used of all.
  for (std::uint64_t id = kSmall; id < kSmall + 10; ++id) ASSERT_OK(Put(id, 32));
  std::uint64_t n = 0;
  while (store().stats().evictions == 0) {
    ASSERT_LT(n, data_size() / kValue + 1) << "a full arena evicted nothing";
    ASSERT_OK(Put(n, kValue));
    ++n;
  }
  EXPECT_EQ(store().stats().evictions, 1u);
  EXPECT_FALSE(Has(0));
  for (std::uint64_t id = kSmall; id < kSmall + 10; ++id) EXPECT_TRUE(Has(id)) << id;
  ASSERT_OK(store().CheckConsistency());
}

TEST_F(StoreTest, MixedSizesPastCapacityKeepTheAccountsStraight) {
  std::uint64_t sum_of_values = 0;
  for (std::uint64_t id = 0; id < 400; ++id) {
    std::size_t size = (id * 7919) % (96 * 1024);
    ASSERT_OK(Put(id, size));
    if (id % 3 == 0) store().Touch(KeyFor(id / 2));
    absl::Status consistent = store().CheckConsistency();
    ASSERT_TRUE(consistent.ok()) << consistent << " after inserting " << id;
  }
  std::uint64_t hits = 0;
  for (std::uint64_t id = 0; id < 400; ++id) {
    std::size_t size = (id * 7919) % (96 * 1024);
    if (std::optional<std::vector<std::byte>> value = Get(KeyFor(id))) {
      ASSERT_EQ(*value, ValueFor(id, 1, size)) << id;
      ++hits;
      sum_of_values += size + sizeof(EntryHeader);
    }
  }
  StoreStats stats = store().stats();
  EXPECT_EQ(stats.entries, hits);
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_EQ(stats.inserts - stats.evictions, stats.entries);
  EXPECT_GE(stats.bytes_used, sum_of_values);
  EXPECT_LE(stats.bytes_used, data_size());
  EXPECT_TRUE(Has(399)) << "the newest entry was evicted";
}

TEST_F(StoreTest, ValueLargerThanTheDataRegionIsRefusedAndEvictsNothing) {
  for (int id = 0; id < 10; ++id) ASSERT_OK(Put(id, 10'000));
  StoreStats before = store().stats();
  for (std::uint64_t size : {data_size(), data_size() + 1, std::uint64_t{kArenaBytes}}) {
    absl::Status status = store().Insert(KeyFor(100), ValueFor(100, 1, size), {}, kNow);
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << size << ": " << status;
  }
  // Not even the entry it would have replaced.
  absl::Status status = store().Insert(KeyFor(3), ValueFor(3, 2, data_size()), {}, kNow);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;

  StoreStats after = store().stats();
  EXPECT_EQ(after.entries, before.entries);
  EXPECT_EQ(after.bytes_used, before.bytes_used);
  EXPECT_EQ(after.evictions, before.evictions);
  EXPECT_EQ(after.inserts, before.inserts);
  for (int id = 0; id < 10; ++id) EXPECT_EQ(Get(KeyFor(id)), ValueFor(id, 1, 10'000)) << id;
  EXPECT_FALSE(Has(100));
}

TEST_F(StoreTest, ValueThatFitsOnlyAnEmptyCacheEvictsEverythingElse) {
  for (int id = 0; id < 10; ++id) ASSERT_OK(Put(id, 10'000));
  const std::size_t size = data_size() - 2 * kPageSize;  // room for a header and alignment
  ASSERT_OK(Put(100, size));
  EXPECT_EQ(Get(KeyFor(100)), ValueFor(100, 1, size));
  for (int id = 0; id < 10; ++id) EXPECT_FALSE(Has(id)) << id;
  EXPECT_EQ(store().stats().entries, 1u);
}

TEST_F(StoreTest, EraseRemovesOneKey) {
  ASSERT_OK(Put(1, 100));
  ASSERT_OK(Put(2, 100));
  EXPECT_TRUE(store().Erase(KeyFor(1)));
  EXPECT_FALSE(Has(1));
  EXPECT_TRUE(Has(2));
  EXPECT_FALSE(store().Erase(KeyFor(1)));
  EXPECT_FALSE(store().Erase(KeyFor(3)));
  EXPECT_EQ(store().stats().entries, 1u);
  EXPECT_EQ(store().stats().evictions, 1u);
}

TEST_F(StoreTest, EraseFunctionRemovesOnlyThatFunctionsEntries) {
  for (int id = 0; id < 12; ++id) {
    ASSERT_OK(Put(id, 100, {.function = static_cast<std::uint32_t>(id % 3)}));
  }
  EXPECT_EQ(store().EraseFunction(1), 4u);
  for (int id = 0; id < 12; ++id) EXPECT_EQ(Has(id), id % 3 != 1) << id;
  EXPECT_EQ(store().EraseFunction(1), 0u);
  EXPECT_EQ(store().EraseFunction(99), 0u);
  EXPECT_EQ(store().stats().entries, 8u);
  // The function is usable again.
  ASSERT_OK(Put(1, 100, {.function = 1}));
  EXPECT_TRUE(Has(1));
}

TEST_F(StoreTest, ClearEmptiesTheCacheAndFreesEveryByte) {
  for (int id = 0; id < 50; ++id) ASSERT_OK(Put(id, (id * 3001) % 70'000));
  store().Clear();
  for (int id = 0; id < 50; ++id) EXPECT_FALSE(Has(id)) << id;
  StoreStats stats = store().stats();
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes_used, 0u);
  EXPECT_EQ(stats.evictions, 50u);
  ASSERT_OK(store().CheckConsistency());
  // The free space is one piece again: the largest value fits without evicting.
  ASSERT_OK(Put(100, data_size() - 2 * kPageSize));
  EXPECT_EQ(store().stats().evictions, 50u);
}

// What a worker that maps an entry MAP_PRIVATE relies on: the bytes it maps
// stay as they are, whatever happens to the entry, until it unpins them.
TEST_F(StoreTest, PinnedBytesOutliveTheirEntryUntilTheLastUnpin) {
  constexpr std::size_t kValue = 200 * 1024;
  ASSERT_OK(Put(1, kValue));
  std::optional<Reader::Location> location = arena_->reader().Locate(KeyFor(1), kNow);
  ASSERT_TRUE(location.has_value());
  const std::uint64_t value_offset = location->file_offset - arena_->header().data_offset;
  const std::byte* mapped =
      reinterpret_cast<const std::byte*>(&arena_->header()) + location->file_offset;

  EXPECT_FALSE(store().Pin(KeyFor(1), value_offset + 64, kValue)) << "another offset";
  EXPECT_FALSE(store().Pin(KeyFor(1), value_offset, kValue - 1)) << "another size";
  EXPECT_FALSE(store().Pin(KeyFor(2), value_offset, kValue)) << "another key";
  ASSERT_TRUE(store().Pin(KeyFor(1), value_offset, kValue));
  ASSERT_TRUE(store().Pin(KeyFor(1), value_offset, kValue));  // a second worker
  const std::uint64_t used = store().stats().bytes_used;

  // The entry leaves the index; then the arena is filled over and over.
  store().Clear();
  EXPECT_FALSE(Has(1));
  EXPECT_EQ(store().stats().bytes_used, used);
  EXPECT_EQ(store().pinned_leftover_bytes(), used);
  for (std::uint64_t id = 100; id < 100 + 3 * data_size() / (60 * 1024); ++id) {
    ASSERT_OK(Put(id, 60 * 1024));
  }
  EXPECT_EQ(std::vector<std::byte>(mapped, mapped + kValue), ValueFor(1, 1, kValue));
  ASSERT_OK(store().CheckConsistency());

  EXPECT_TRUE(store().Unpin(value_offset));
  EXPECT_EQ(store().pinned_leftover_bytes(), used) << "one pin is left";
  EXPECT_TRUE(store().Unpin(value_offset));
  EXPECT_EQ(store().pinned_leftover_bytes(), 0u);
  EXPECT_FALSE(store().Unpin(value_offset)) << "no pin is left";
  ASSERT_OK(store().CheckConsistency());
  // The bytes are free again: the largest value fits once everything else goes.
  store().Clear();
  ASSERT_OK(Put(2, data_size() - 2 * kPageSize));
}

// A small pinned value in the middle of the data region splits it: a value
// larger than either side can never fit, so trying must not first evict
// every other entry.
TEST_F(StoreTest, InsertThatCannotFitBesideAPinnedValueEvictsNothing) {
  constexpr std::size_t kFiller = 60 * 1024;
  std::uint64_t id = 10;
  while (store().stats().bytes_used < data_size() / 2) ASSERT_OK(Put(id++, kFiller));
  ASSERT_OK(Put(1, 1000));
  std::optional<Reader::Location> location = arena_->reader().Locate(KeyFor(1), kNow);
  ASSERT_TRUE(location.has_value());
  const std::uint64_t value_offset = location->file_offset - arena_->header().data_offset;
  ASSERT_TRUE(store().Pin(KeyFor(1), value_offset, 1000));
  // Full: the next filler had to evict.
  while (store().stats().evictions == 0) ASSERT_OK(Put(id++, kFiller));
  std::vector<std::uint64_t> live;
  for (std::uint64_t i = 10; i < id; ++i) {
    if (Has(i)) live.push_back(i);
  }
  const StoreStats before = store().stats();

  absl::Status status = store().Insert(KeyFor(2), ValueFor(2, 1, data_size() * 3 / 4), {}, kNow);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  const StoreStats after = store().stats();
  EXPECT_EQ(after.evictions, before.evictions);
  EXPECT_EQ(after.entries, before.entries);
  EXPECT_EQ(after.bytes_used, before.bytes_used);
  for (std::uint64_t i : live) EXPECT_EQ(Get(KeyFor(i)), ValueFor(i, 1, kFiller)) << i;
  EXPECT_EQ(Get(KeyFor(1)), ValueFor(1, 1, 1000));

  // A value that fits beside the pin still makes room as before.
  ASSERT_OK(Put(3, kFiller * 4));
  EXPECT_GT(store().stats().evictions, before.evictions);
  EXPECT_TRUE(store().Unpin(value_offset));
}

TEST_F(StoreTest, InlineValuesCannotBePinned) {
  ASSERT_OK(Put(1, 32));
  EXPECT_FALSE(store().Pin(KeyFor(1), kInlineOffset, 32));
}

TEST_F(StoreTest, UnpinningALiveEntryLeavesItInPlace) {
  ASSERT_OK(Put(1, 100'000));
  std::optional<Reader::Location> location = arena_->reader().Locate(KeyFor(1), kNow);
  ASSERT_TRUE(location.has_value());
  const std::uint64_t value_offset = location->file_offset - arena_->header().data_offset;
  ASSERT_TRUE(store().Pin(KeyFor(1), value_offset, 100'000));
  EXPECT_TRUE(store().Unpin(value_offset));
  EXPECT_EQ(Get(KeyFor(1)), ValueFor(1, 1, 100'000));
  // Evicted after its pins are gone, it frees its bytes at once.
  EXPECT_TRUE(store().Erase(KeyFor(1)));
  EXPECT_EQ(store().stats().bytes_used, 0u);
}

TEST_F(StoreTest, KeysSharingAHomeSlotAreAllFoundAcrossTheIndexEnd) {
  const std::uint32_t slots = arena_->header().slot_count;
  const std::uint32_t home = slots - 10;  // the probe window wraps to slot 0
  for (std::uint64_t id = 0; id < kMaxProbe; ++id) {
    ASSERT_OK(store().Insert(KeyAtHome(home, id), ValueFor(id, 1, 100), {}, kNow));
  }
  for (std::uint64_t id = 0; id < kMaxProbe; ++id) {
    EXPECT_EQ(Get(KeyAtHome(home, id)), ValueFor(id, 1, 100)) << id;
  }
  EXPECT_EQ(store().stats().evictions, 0u);
}

TEST_F(StoreTest, FullProbeWindowEvictsItsLeastRecentlyUsed) {
  const std::uint32_t home = 100;
  // An older entry just past the window, which the window's eviction must spare.
  ASSERT_OK(store().Insert(KeyAtHome(home + kMaxProbe, 999), ValueFor(999, 1, 10), {}, kNow));
  for (std::uint64_t id = 0; id < kMaxProbe; ++id) {
    ASSERT_OK(store().Insert(KeyAtHome(home, id), ValueFor(id, 1, 100), {}, kNow));
  }
  store().Touch(KeyAtHome(home, 0));
  ASSERT_OK(store().Insert(KeyAtHome(home, kMaxProbe), ValueFor(kMaxProbe, 1, 100), {}, kNow));

  EXPECT_FALSE(Get(KeyAtHome(home, 1)).has_value()) << "not the window's least recently used";
  for (std::uint64_t id = 0; id <= kMaxProbe; ++id) {
    if (id == 1) continue;
    EXPECT_EQ(Get(KeyAtHome(home, id)), ValueFor(id, 1, 100)) << id;
  }
  EXPECT_EQ(Get(KeyAtHome(home + kMaxProbe, 999)), ValueFor(999, 1, 10));
  EXPECT_EQ(store().stats().evictions, 1u);
}

TEST_F(StoreTest, ErasedSlotsDoNotHideKeysProbedPastThem) {
  const std::uint32_t home = 500;
  for (std::uint64_t id = 0; id < 4; ++id) {
    ASSERT_OK(store().Insert(KeyAtHome(home, id), ValueFor(id, 1, 10), {}, kNow));
  }
  ASSERT_TRUE(store().Erase(KeyAtHome(home, 0)));  // the first of the chain
  ASSERT_TRUE(store().Erase(KeyAtHome(home, 2)));  // one in the middle
  EXPECT_TRUE(Get(KeyAtHome(home, 1)).has_value());
  EXPECT_TRUE(Get(KeyAtHome(home, 3)).has_value());
  // Reuses an erased slot; every key is still found.
  ASSERT_OK(store().Insert(KeyAtHome(home, 4), ValueFor(4, 1, 10), {}, kNow));
  ASSERT_TRUE(store().Erase(KeyAtHome(home, 3)));  // the last of the chain
  EXPECT_TRUE(Get(KeyAtHome(home, 1)).has_value());
  EXPECT_TRUE(Get(KeyAtHome(home, 4)).has_value());
  EXPECT_FALSE(Get(KeyAtHome(home, 0)).has_value());
  EXPECT_FALSE(Get(KeyAtHome(home, 2)).has_value());
  EXPECT_FALSE(Get(KeyAtHome(home, 3)).has_value());
  // A key inserted again after the erasures is found, and only once.
  ASSERT_OK(store().Insert(KeyAtHome(home, 3), ValueFor(3, 2, 10), {}, kNow));
  ASSERT_OK(store().Insert(KeyAtHome(home, 1), ValueFor(1, 2, 10), {}, kNow));
  EXPECT_EQ(Get(KeyAtHome(home, 1)), ValueFor(1, 2, 10));
  EXPECT_EQ(Get(KeyAtHome(home, 3)), ValueFor(3, 2, 10));
  EXPECT_EQ(store().stats().entries, 3u);
}

// Page-aligned private memory, zeroed, as an arena's would be.
class PrivateArena {
 public:
  explicit PrivateArena(std::size_t bytes) : pages_(bytes / kPageSize) {}
  std::byte* data() { return pages_.data()->bytes; }
  std::size_t size() const { return pages_.size() * kPageSize; }

 private:
  struct alignas(kPageSize) Page {
    std::byte bytes[kPageSize];
  };
  std::vector<Page> pages_;
};

TEST(StoreFormatTest, ArenaBelowOneMebibyteIsRefused) {
  PrivateArena memory(512 * 1024);
  EXPECT_EQ(Store::Format(memory.data(), memory.size()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ReaderAttachTest, UnformattedArenaIsRefused) {
  PrivateArena memory(1u << 20);
  EXPECT_EQ(Reader::Attach(memory.data(), memory.size()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ReaderAttachTest, ArenaShorterThanItsHeaderSaysIsRefused) {
  PrivateArena memory(2u << 20);
  ASSERT_OK(Store::Format(memory.data(), memory.size()));
  EXPECT_EQ(Reader::Attach(memory.data(), 1u << 20).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_OK(Reader::Attach(memory.data(), memory.size()));
}

}  // namespace
}  // namespace sluice::shm_cache::testing
