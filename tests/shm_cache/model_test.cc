// A randomized model check of shm_cache's Store and Reader: thousands of
// seeded random operations (insert, replace, touch, erase, erase a function,
// expire, clear) on a small arena, each followed by a comparison with a
// reference model.
//
// The model does not predict which entries the byte budget evicts (that
// depends on the allocator's fragmentation); it learns which keys the arena
// holds after every operation (Reader::Locate, no copy) and checks that the
// change is one the operation may cause:
//   - only an insert adds a key, only its own, and the inserted key is in;
//   - touch and clock steps change nothing; erase, erase-function,
//     evict-expired and clear remove exactly what they say;
//   - an insert evicts only expired entries, one entry of its probe window,
//     its function's least recently used (max_entries), or, once every
//     expired entry is gone, entries in the data region less recently used
//     than every survivor there (LRU under the byte budget: inline values
//     take no data bytes, so they are never evicted to make room);
//   - a hit returns exactly the bytes of the key's latest insert, a key not
//     held misses, an expired entry misses;
//   - pinned bytes stay as they were pinned until unpinned, whatever happens
//     to their entry;
//   - the stats and the reader's counters agree with all of it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/shm_cache/test_arena.h"
#include "tests/support/status_macros.h"
#include "util/strings.h"

namespace sluice::shm_cache::testing {
namespace {

constexpr std::size_t kArenaBytes = 1u << 20;  // the smallest: the byte budget bites
constexpr int kOperations = 10000;
constexpr std::uint64_t kKeys = 400;
constexpr std::uint64_t kClusteredFrom = 200;  // keys from here share 16 home slots
constexpr std::uint32_t kFunctions = 4;
constexpr std::uint32_t kLimitedFunction = 3;
constexpr std::uint32_t kLimit = 5;
constexpr std::uint64_t kBeforeAnyDeadline = 0;  // a reader's clock before every deadline
constexpr std::size_t kMaxPins = 3;              // few enough that any value still finds room

struct Expected {
  std::vector<std::byte> value;
  std::uint32_t function = 0;
  std::uint64_t expires_ns = 0;
  std::uint64_t last_used = 0;  // the model's clock of the last insert or touch
};

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(arena_, TestArena::Create(kArenaBytes));
    slots_ = arena_->header().slot_count;
  }

  Key KeyOf(std::uint64_t id) const {
    // Half the keys crowd 16 home slots that straddle the end of the index,
    // so probe windows fill, wrap and leave tombstones.
    if (id >= kClusteredFrom) return KeyAtHome(slots_ - 8 + id % 16, id);
    return KeyFor(id);
  }
  std::uint32_t Home(std::uint64_t id) const {
    return static_cast<std::uint32_t>(KeyOf(id).low) & (slots_ - 1);
  }
  // Whether `other` could sit in the probe window of `id`'s home.
  bool CouldShareProbeWindow(std::uint64_t id, std::uint64_t other) const {
    std::uint32_t distance = (Home(other) - Home(id)) & (slots_ - 1);
    return distance < kMaxProbe || slots_ - distance < kMaxProbe;
  }
  static std::uint32_t FunctionOf(std::uint64_t id) { return id % kFunctions; }

  std::set<std::uint64_t> Held() const {
    std::set<std::uint64_t> held;
    for (std::uint64_t id = 0; id < kKeys; ++id) {
      if (arena_->reader().Contains(KeyOf(id), kBeforeAnyDeadline)) held.insert(id);
    }
    return held;
  }

  std::size_t RandomSize() {
    std::uint32_t dice = rng_() % 20;
    if (dice == 0) {
      const std::size_t edges[] = {0, 1, 63, 64, 65, 65'535, 65'536};
      return edges[rng_() % std::size(edges)];
    }
    if (dice < 7) return rng_() % 65'537;
    if (dice < 13) return rng_() % 8193;
    return rng_() % 257;
  }

  // Checks the value of `id` as a reader sees it now.
  void CheckLookup(std::uint64_t id, const std::set<std::uint64_t>& held) {
    std::optional<std::vector<std::byte>> value =
        Lookup(arena_->reader(), KeyOf(id), kBeforeAnyDeadline);
    ASSERT_EQ(value.has_value(), held.contains(id)) << "key " << id;
    if (!value) return;
    const Expected& expected = model_.at(id);
    ASSERT_EQ(value->size(), expected.value.size()) << "key " << id;
    ASSERT_TRUE(*value == expected.value) << "key " << id << ": wrong bytes";
    bool expired = expected.expires_ns != 0 && expected.expires_ns <= now_;
    ASSERT_EQ(Lookup(arena_->reader(), KeyOf(id), now_).has_value(), !expired)
        << "key " << id << " expires at " << expected.expires_ns << ", now " << now_;
  }

  std::unique_ptr<TestArena> arena_;
  std::uint32_t slots_ = 0;
  std::mt19937_64 rng_{0x5eed'cace};
  std::map<std::uint64_t, Expected> model_;  // exactly the keys the arena holds
  std::map<std::uint64_t, std::uint64_t> versions_;
  std::uint64_t now_ = 1'000'000;
  std::uint64_t clock_ = 0;  // orders inserts and touches, for LRU
  struct PinnedValue {
    std::uint64_t value_offset;  // from the data region start, as Store::Pin takes it
    std::uint64_t file_offset;   // from the arena start, where a worker would map it
    std::vector<std::byte> bytes;
  };
  std::vector<PinnedValue> pins_;
};

TEST_F(ModelTest, RandomOperationsAgreeWithTheModel) {
  std::uint64_t last_inserted = 0;
  std::uint64_t evicted_for_bytes = 0;
  std::uint64_t pinned_left_index = 0;  // times a pinned value's entry left
  for (int op = 0; op < kOperations; ++op) {
    const std::set<std::uint64_t> before = Held();
    const StoreStats stats_before = arena_->store().stats();
    std::set<std::uint64_t> expected_after = before;  // for all but inserts
    std::optional<std::uint64_t> inserted;
    std::string what;
    ++now_;

    std::uint32_t dice = rng_() % 1000;
    std::uint64_t id = rng_() % kKeys;
    if (dice < 500) {
      std::size_t size = RandomSize();
      std::uint64_t version = ++versions_[id];
      EntryOptions options{.function = FunctionOf(id),
                           .expires_ns = rng_() % 8 == 0 ? now_ + 1 + rng_() % 200 : 0,
                           .max_entries = FunctionOf(id) == kLimitedFunction ? kLimit : 0};
      what = StrCat("insert ", id, " v", version, " (", size, " bytes, expires ",
                    options.expires_ns, ")");
      std::vector<std::byte> value = ValueFor(id, version, size);
      absl::Status status = arena_->store().Insert(KeyOf(id), value, options, now_);
      ASSERT_TRUE(status.ok()) << "op " << op << ", " << what << ": " << status;
      model_[id] = Expected{std::move(value), options.function, options.expires_ns, ++clock_};
      inserted = last_inserted = id;
    } else if (dice < 700) {
      what = StrCat("touch ", id);
      arena_->store().Touch(KeyOf(id));
      if (auto it = model_.find(id); it != model_.end()) it->second.last_used = ++clock_;
    } else if (dice < 760) {
      what = StrCat("erase ", id);
      ASSERT_EQ(arena_->store().Erase(KeyOf(id)), before.contains(id))
          << "op " << op << ", " << what;
      expected_after.erase(id);
    } else if (dice < 763) {
      std::uint32_t function = rng_() % (kFunctions + 1);  // the last one has no entries
      what = StrCat("erase function ", function);
      std::size_t count = 0;
      for (std::uint64_t held : before) {
        if (FunctionOf(held) == function) {
          expected_after.erase(held);
          ++count;
        }
      }
      ASSERT_EQ(arena_->store().EraseFunction(function), count) << "op " << op << ", " << what;
    } else if (dice < 820) {
      what = StrCat("evict expired at ", now_);
      std::size_t count = 0;
      for (std::uint64_t held : before) {
        std::uint64_t expires = model_.at(held).expires_ns;
        if (expires != 0 && expires <= now_) {
          expected_after.erase(held);
          ++count;
        }
      }
      ASSERT_EQ(arena_->store().EvictExpired(now_), count) << "op " << op << ", " << what;
    } else if (dice < 821) {
      what = "clear";
      arena_->store().Clear();
      expected_after.clear();
    } else if (dice < 861 && pins_.size() < kMaxPins && before.contains(id) &&
               model_.at(id).value.size() > kInlineBytes) {
      what = StrCat("pin ", id);
      std::optional<Reader::Location> location =
          arena_->reader().Locate(KeyOf(id), kBeforeAnyDeadline);
      ASSERT_TRUE(location.has_value()) << "op " << op << ", " << what;
      std::uint64_t value_offset = location->file_offset - arena_->header().data_offset;
      ASSERT_TRUE(arena_->store().Pin(KeyOf(id), value_offset, location->size))
          << "op " << op << ", " << what;
      pins_.push_back({value_offset, location->file_offset, model_.at(id).value});
    } else if (dice >= 861 && dice < 901 && !pins_.empty()) {
      std::size_t which = rng_() % pins_.size();
      what = StrCat("unpin at ", pins_[which].value_offset);
      ASSERT_TRUE(arena_->store().Unpin(pins_[which].value_offset)) << "op " << op << ", " << what;
      pins_.erase(pins_.begin() + static_cast<std::ptrdiff_t>(which));
    } else {
      now_ += rng_() % 50;
      what = StrCat("clock to ", now_);
    }
    SCOPED_TRACE(StrCat("op ", op, ": ", what));

    const std::set<std::uint64_t> after = Held();
    if (!inserted) {
      ASSERT_EQ(after, expected_after);
    } else {
      ASSERT_TRUE(after.contains(*inserted)) << "the inserted key is not held";
      std::vector<std::uint64_t> evicted;
      for (std::uint64_t held : before) {
        if (!after.contains(held) && held != *inserted) evicted.push_back(held);
      }
      for (std::uint64_t added : after) {
        ASSERT_TRUE(before.contains(added) || added == *inserted) << added << " appeared";
      }
      auto is_expired = [&](const Expected& entry) {
        return entry.expires_ns != 0 && entry.expires_ns <= now_;
      };
      for (std::uint64_t victim : evicted) {
        const Expected& gone = model_.at(victim);
        if (is_expired(gone) || CouldShareProbeWindow(*inserted, victim)) continue;
        // Otherwise it made room, as the least recently used of its function
        // (max_entries) or of the data region (the byte budget).
        auto in_data_region = [](const Expected& entry) {
          return entry.value.size() > kInlineBytes;
        };
        std::optional<std::uint64_t> older_survivor, older_in_function;
        for (std::uint64_t survivor : after) {
          const Expected& kept = model_.at(survivor);
          if (survivor == *inserted || kept.last_used > gone.last_used) continue;
          if (in_data_region(kept)) older_survivor = survivor;
          if (kept.function == gone.function) older_in_function = survivor;
        }
        if (FunctionOf(*inserted) == kLimitedFunction && gone.function == kLimitedFunction &&
            !older_in_function) {
          continue;
        }
        ASSERT_TRUE(in_data_region(gone))
            << "the inline value " << victim << " was evicted for bytes";
        ASSERT_FALSE(older_survivor.has_value())
            << victim << " was evicted while the less recently used " << *older_survivor
            << " stayed";
        ++evicted_for_bytes;
        for (std::uint64_t survivor : after) {
          ASSERT_FALSE(is_expired(model_.at(survivor)))
              << victim << " was evicted for bytes while the expired " << survivor << " stayed";
        }
      }
    }
    std::erase_if(model_, [&](const auto& entry) { return !after.contains(entry.first); });

    const StoreStats stats = arena_->store().stats();
    ASSERT_EQ(stats.entries, after.size());
    ASSERT_EQ(stats.inserts - stats.evictions, stats.entries);
    ASSERT_EQ(stats.inserts, stats_before.inserts + (inserted ? 1 : 0));
    std::uint64_t removed = 0;  // a replaced entry counts as removed
    for (std::uint64_t held : before) {
      if (!after.contains(held) || held == inserted) ++removed;
    }
    ASSERT_EQ(stats.evictions, stats_before.evictions + removed)
        << "every entry that left (a replaced one too) counts as one eviction";
    ASSERT_LE(stats.bytes_used, arena_->header().data_size);
    const ArenaCounters counters = arena_->reader().counters();
    ASSERT_EQ(counters.entries, stats.entries);
    ASSERT_EQ(counters.bytes_used, stats.bytes_used);
    ASSERT_EQ(counters.inserts, stats.inserts);
    ASSERT_EQ(counters.evictions, stats.evictions);

    const auto* arena_bytes = reinterpret_cast<const std::byte*>(&arena_->header());
    for (const PinnedValue& pinned : pins_) {
      ASSERT_TRUE(
          std::equal(pinned.bytes.begin(), pinned.bytes.end(), arena_bytes + pinned.file_offset))
          << "the pinned value at " << pinned.value_offset << " changed";
    }

    for (const PinnedValue& pinned : pins_) {
      bool still_held = false;
      for (std::uint64_t held : after) {
        auto location = arena_->reader().Locate(KeyOf(held), kBeforeAnyDeadline);
        still_held = still_held || (location && location->file_offset == pinned.file_offset);
      }
      pinned_left_index += still_held ? 0 : 1;
    }

    std::size_t limited = 0;
    for (std::uint64_t held : after) limited += FunctionOf(held) == kLimitedFunction ? 1 : 0;
    ASSERT_LE(limited, kLimit) << "max_entries exceeded";

    ASSERT_NO_FATAL_FAILURE(CheckLookup(last_inserted, after));
    for (int sample = 0; sample < 8; ++sample) {
      ASSERT_NO_FATAL_FAILURE(CheckLookup(rng_() % kKeys, after));
    }
    if (op % 100 == 99) {
      ASSERT_OK(arena_->store().CheckConsistency());
      for (std::uint64_t every = 0; every < kKeys; ++every) {
        ASSERT_NO_FATAL_FAILURE(CheckLookup(every, after));
      }
    }
  }
  ASSERT_OK(arena_->store().CheckConsistency());
  // The run reached the states it is meant to test.
  EXPECT_GT(evicted_for_bytes, std::uint64_t{kOperations} / 20)
      << "the byte budget hardly ever made an insert evict";
  EXPECT_GT(pinned_left_index, std::uint64_t{kOperations} / 200)
      << "pinned values hardly ever outlived their entries";
}

}  // namespace
}  // namespace sluice::shm_cache::testing
