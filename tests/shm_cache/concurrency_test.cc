// A reader racing the keeper: while the keeper replaces, erases and evicts
// the keys a reader thread keeps looking up, reusing the same bytes for
// other values at once, every hit the reader gets is one whole value, never
// a mix of two (the seqlock's promise in layout.h).
//
// Each value is `Size(m)` bytes all equal to its marker m, and consecutive
// versions of a key have different markers, so a torn copy shows up as a
// value that is not uniform or whose length does not match its marker.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "tests/shm_cache/test_arena.h"
#include "tests/support/deadline.h"
#include "tests/support/status_macros.h"
#include "util/strings.h"

namespace sluice::shm_cache::testing {
namespace {

constexpr std::size_t kArenaBytes = 2u << 20;
constexpr std::uint64_t kNow = 1'000'000;
constexpr std::uint64_t kReadKeys = 8;
constexpr int kWrites = 40'000;

std::size_t Size(std::uint8_t marker) { return 1024 + std::size_t{marker} * 157; }
std::uint8_t MarkerFor(std::uint64_t version) {
  return static_cast<std::uint8_t>(version % 255 + 1);
}

struct ReaderTally {
  std::uint64_t lookups = 0;
  std::uint64_t hits = 0;
  std::vector<std::string> torn;  // descriptions of bad hits, the first few
};

// Looks the keys up until `stop`; checks every hit.
void ReadUntilStopped(const Reader& reader, const std::atomic<bool>& stop,
                      std::atomic<std::uint64_t>& lookups, ReaderTally& tally) {
  std::vector<std::byte> out;
  while (!stop.load(std::memory_order_acquire)) {
    for (std::uint64_t id = 0; id < kReadKeys; ++id) {
      bool hit = reader.Get(KeyFor(id), kNow, [&](std::size_t size) {
        out.resize(size);
        return out.data();
      });
      ++tally.lookups;
      lookups.fetch_add(1, std::memory_order_relaxed);
      if (!hit) continue;
      ++tally.hits;
      std::uint8_t marker = out.empty() ? 0 : static_cast<std::uint8_t>(out[0]);
      bool uniform = true;
      for (std::byte b : out) uniform &= static_cast<std::uint8_t>(b) == marker;
      if ((!uniform || marker == 0 || out.size() != Size(marker)) && tally.torn.size() < 10) {
        tally.torn.push_back(StrCat("key ", id, ": ", out.size(), " bytes, first ",
                                    static_cast<int>(marker), ", uniform ", uniform));
      }
    }
  }
}

TEST(ConcurrencyTest, ReaderNeverSeesATornValueWhileTheKeeperRewritesIt) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestArena> arena, TestArena::Create(kArenaBytes));
  Store& store = arena->store();

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> lookups{0};
  ReaderTally tally;
  std::thread reader([&] { ReadUntilStopped(arena->reader(), stop, lookups, tally); });

  // Start writing only once the reader runs, so the two overlap.
  sluice::testing::Deadline deadline = sluice::testing::After(sluice::testing::kStepTimeout);
  while (lookups.load(std::memory_order_relaxed) == 0 && sluice::testing::Clock::now() < deadline) {
    std::this_thread::yield();
  }

  std::uint64_t versions[kReadKeys] = {};
  std::vector<std::byte> value;
  absl::Status failed;
  for (int write = 0; write < kWrites && failed.ok(); ++write) {
    std::uint64_t id = write % kReadKeys;
    if (write % 97 == 0) {
      store.Erase(KeyFor(id));
      continue;
    }
    if (write % 5 == 0) {
      // A filler under another key: the budget (2 MiB) fills, and inserts
      // evict the read keys and reuse their bytes.
      std::uint64_t filler = 1000 + write % 64;
      value.assign(48 * 1024, std::byte{0});
      failed = store.Insert(KeyFor(filler), value, {}, kNow);
      continue;
    }
    std::uint8_t marker = MarkerFor(++versions[id]);
    value.assign(Size(marker), std::byte{marker});
    failed = store.Insert(KeyFor(id), value, {}, kNow);
  }
  stop.store(true, std::memory_order_release);
  reader.join();

  ASSERT_OK(failed);
  EXPECT_TRUE(tally.torn.empty()) << "torn hits, e.g. " << tally.torn.front();
  EXPECT_GT(tally.hits, 0u) << "the reader never hit, in " << tally.lookups << " lookups";
  EXPECT_GT(store.stats().evictions, std::uint64_t{kWrites} / 2);
  EXPECT_OK(store.CheckConsistency());
}

// Values the index keeps inline (at most kInlineBytes), read by each of the
// Reader's lookups in turn while the keeper replaces, erases and re-inserts
// them in place: same promise, different code path.
std::size_t InlineSize(std::uint8_t marker) { return 1 + marker % kInlineBytes; }

TEST(ConcurrencyTest, ReaderNeverSeesATornInlineValueWhileTheKeeperRewritesIt) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestArena> arena, TestArena::Create(kArenaBytes));
  Store& store = arena->store();
  const Reader& reader = arena->reader();

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> lookups{0};
  ReaderTally tally;
  std::thread reading([&] {
    std::vector<std::byte> out;
    std::array<std::byte, kInlineBytes> small;
    while (!stop.load(std::memory_order_acquire)) {
      for (std::uint64_t id = 0; id < kReadKeys; ++id) {
        std::uint64_t n = tally.lookups++;
        lookups.fetch_add(1, std::memory_order_relaxed);
        bool hit = false;
        switch (n % 4) {
          case 0:
            if (std::optional<std::size_t> size = reader.GetInto(KeyFor(id), small)) {
              hit = true;
              out.assign(small.begin(), small.begin() + std::min(*size, small.size()));
            }
            break;
          case 1:
            hit = reader.Get(KeyFor(id), [&](std::size_t size) {
              out.resize(size);
              return out.data();
            });
            break;
          case 2:
            hit = reader.Read(KeyFor(id), [&](std::span<const std::byte> bytes, std::uint16_t) {
              out.assign(bytes.begin(), bytes.end());
              return true;
            });
            break;
          case 3:
            if (std::optional<std::size_t> size = reader.GetInto(KeyFor(id), kNow, small)) {
              hit = true;
              out.assign(small.begin(), small.begin() + std::min(*size, small.size()));
            }
            break;
        }
        if (!hit) continue;
        ++tally.hits;
        std::uint8_t marker = out.empty() ? 0 : static_cast<std::uint8_t>(out[0]);
        bool uniform = true;
        for (std::byte b : out) uniform &= static_cast<std::uint8_t>(b) == marker;
        if ((!uniform || marker == 0 || out.size() != InlineSize(marker)) &&
            tally.torn.size() < 10) {
          tally.torn.push_back(StrCat("key ", id, " via lookup ", n % 4, ": ", out.size(),
                                      " bytes, first ", static_cast<int>(marker), ", uniform ",
                                      uniform));
        }
      }
    }
  });

  sluice::testing::Deadline deadline = sluice::testing::After(sluice::testing::kStepTimeout);
  while (lookups.load(std::memory_order_relaxed) == 0 && sluice::testing::Clock::now() < deadline) {
    std::this_thread::yield();
  }

  // Small writes are quick: go on until the reader has raced them a while.
  constexpr std::uint64_t kMinLookups = 2'000'000;
  deadline = sluice::testing::After(sluice::testing::kStepTimeout);
  auto raced_enough = [&] {
    return lookups.load(std::memory_order_relaxed) >= kMinLookups ||
           sluice::testing::Clock::now() >= deadline;
  };
  std::uint64_t versions[kReadKeys] = {};
  std::vector<std::byte> value;
  absl::Status failed;
  for (int write = 0; failed.ok() && (write < kWrites || !raced_enough()); ++write) {
    std::uint64_t id = write % kReadKeys;
    if (write % 97 == 0) {
      store.Erase(KeyFor(id));
      continue;
    }
    std::uint8_t marker = MarkerFor(++versions[id]);
    value.assign(InlineSize(marker), std::byte{marker});
    failed = store.Insert(KeyFor(id), value, {}, kNow);
  }
  stop.store(true, std::memory_order_release);
  reading.join();

  ASSERT_OK(failed);
  EXPECT_TRUE(tally.torn.empty()) << "torn hits, e.g. " << tally.torn.front();
  EXPECT_GT(tally.hits, 0u) << "the reader never hit, in " << tally.lookups << " lookups";
  EXPECT_OK(store.CheckConsistency());
}

}  // namespace
}  // namespace sluice::shm_cache::testing
