// Readers SIGKILLed at random points of their lookups, hundreds of times,
// while the keeper keeps inserting, replacing and evicting: no reader ever
// gets a wrong value, and afterwards the keeper can still evict and reuse
// every byte (a killed reader held nothing: there is nothing to hold), every
// value reads back right and the arena's bytes are accounted for.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "tests/shm_cache/forked_child.h"
#include "tests/shm_cache/test_arena.h"
#include "tests/support/status_macros.h"
#include "util/strings.h"

namespace sluice::shm_cache::testing {
namespace {

using sluice::testing::After;
using sluice::testing::kStepTimeout;

constexpr std::size_t kArenaBytes = 2u << 20;
constexpr std::uint64_t kNow = 1'000'000;
constexpr std::uint64_t kKeys = 64;
constexpr int kReaders = 4;
constexpr int kKills = 250;
constexpr int kLookupsPerReport = 16;

// What a reader child has done so far; 32 bytes, so one write(2) to a pipe
// is atomic and a SIGKILL never leaves half a report.
struct Report {
  std::uint64_t lookups = 0;
  std::uint64_t hits = 0;
  std::uint64_t wrong = 0;      // hits whose bytes were not a whole value
  std::uint64_t wrong_key = 0;  // the last of them
};
static_assert(sizeof(Report) <= PIPE_BUF);

// A reader child's whole life: random lookups, each hit checked, a report
// every kLookupsPerReport lookups, until it is killed. Returns only on a
// wrong value (after reporting it) or when the parent stops listening.
int ReadForever(const Reader& reader, int report_fd, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> out;
  Report report;
  for (;;) {
    for (int i = 0; i < kLookupsPerReport; ++i) {
      std::uint64_t id = rng() % kKeys;
      bool hit = reader.Get(KeyFor(id), kNow, [&](std::size_t size) {
        out.resize(size);
        return out.data();
      });
      ++report.lookups;
      if (!hit) continue;
      ++report.hits;
      if (!VersionOfTaggedValue(id, out)) {
        ++report.wrong;
        report.wrong_key = id;
      }
    }
    if (!WriteAll(report_fd, std::as_bytes(std::span(&report, 1)))) return 2;
    if (report.wrong > 0) return 1;
  }
}

struct RunningReader {
  ForkedChild process;
  UniqueFd reports;
  Report last;
};

class FaultInjectionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK_AND_ASSIGN(arena_, TestArena::Create(kArenaBytes)); }

  void Insert(std::uint64_t id) {
    std::size_t size = kTagBytes + rng_() % (64 * 1024);
    std::uint64_t version = ++versions_[id];
    ASSERT_OK(arena_->store().Insert(KeyFor(id), TaggedValue(id, version, size), {}, kNow));
    sizes_[id] = size;
  }

  // One random change by the keeper, made while readers run.
  void Mutate() {
    std::uint64_t id = rng_() % kKeys;
    switch (rng_() % 8) {
      case 0:
        arena_->store().Erase(KeyFor(id));
        break;
      case 1:
        arena_->store().Touch(KeyFor(id));
        break;
      default:
        ASSERT_NO_FATAL_FAILURE(Insert(id));
    }
  }

  absl::StatusOr<RunningReader> StartReader(std::uint64_t seed) {
    absl::StatusOr<Pipe> pipe = Pipe::Create();
    if (!pipe.ok()) return pipe.status();
    int report_fd = pipe->write.get();
    const Reader& reader = arena_->reader();
    absl::StatusOr<ForkedChild> process =
        ForkedChild::Start([&] { return ReadForever(reader, report_fd, seed); });
    if (!process.ok()) return process.status();
    return RunningReader{*std::move(process), std::move(pipe->read), {}};
  }

  // Reads one report, waiting for it; notes a wrong value.
  absl::Status ReadReport(RunningReader& reader) {
    Report report;
    absl::Status read = ReadExactly(
        reader.reports.get(), std::as_writable_bytes(std::span(&report, 1)), After(kStepTimeout));
    if (!read.ok()) return read;
    reader.last = report;
    if (report.wrong > 0) {
      return absl::DataLossError(StrCat("reader ", reader.process.pid(), " got ", report.wrong,
                                        " wrong values, the last for key ", report.wrong_key));
    }
    return absl::OkStatus();
  }

  // Reads the reports already in the pipe, without waiting.
  absl::Status ReadWaitingReports(RunningReader& reader) {
    for (;;) {
      pollfd ready{reader.reports.get(), POLLIN, 0};
      if (::poll(&ready, 1, 0) <= 0 || (ready.revents & POLLIN) == 0) return absl::OkStatus();
      absl::Status read = ReadReport(reader);
      if (absl::IsNotFound(read)) return absl::OkStatus();  // the child is gone
      if (!read.ok()) return read;
    }
  }

  // SIGKILLs the reader, reaps it, and takes in what it reported before it died.
  void Kill(RunningReader& reader, Report& totals) {
    ASSERT_OK(reader.process.Kill(SIGKILL));
    ASSERT_OK_AND_ASSIGN(int status, reader.process.Wait(After(kStepTimeout)));
    ASSERT_OK(ReadWaitingReports(reader));
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "reader " << reader.process.pid() << " " << DescribeWaitStatus(status)
        << " before it was killed";
    totals.lookups += reader.last.lookups;
    totals.hits += reader.last.hits;
  }

  // Every key the keeper holds reads back as its latest version.
  void ExpectLatestValues(std::uint64_t* hits) {
    for (std::uint64_t id = 0; id < kKeys; ++id) {
      std::optional<std::vector<std::byte>> value = Lookup(arena_->reader(), KeyFor(id), kNow);
      if (!value) continue;
      ++*hits;
      EXPECT_EQ(*value, TaggedValue(id, versions_[id], sizes_[id])) << "key " << id;
    }
  }

  std::unique_ptr<TestArena> arena_;
  std::mt19937_64 rng_{0xdead'beef};
  std::map<std::uint64_t, std::uint64_t> versions_;
  std::map<std::uint64_t, std::size_t> sizes_;
};

TEST_F(FaultInjectionTest, ReadersKilledMidLookupLeaveNothingBehind) {
  for (std::uint64_t id = 0; id < kKeys; ++id) ASSERT_NO_FATAL_FAILURE(Insert(id));

  std::array<std::optional<RunningReader>, kReaders> readers;
  Report totals;
  int kills = 0;
  for (int round = 0; round < kKills; ++round) {
    for (int slot = 0; slot < kReaders; ++slot) {
      if (readers[slot]) continue;
      ASSERT_OK_AND_ASSIGN(RunningReader reader, StartReader(round * kReaders + slot));
      readers[slot].emplace(std::move(reader));
    }
    RunningReader& victim = *readers[rng_() % kReaders];
    // Let it get on with some lookups: a random number of reports' worth.
    const std::uint64_t target = victim.last.lookups + kLookupsPerReport * (1 + rng_() % 8);
    for (int change = rng_() % 6; change > 0; --change) ASSERT_NO_FATAL_FAILURE(Mutate());
    while (victim.last.lookups < target) {
      absl::Status read = ReadReport(victim);
      ASSERT_TRUE(read.ok()) << "round " << round << ": " << read;
    }
    for (std::optional<RunningReader>& other : readers) ASSERT_OK(ReadWaitingReports(*other));
    ASSERT_NO_FATAL_FAILURE(Kill(victim, totals));
    ++kills;
    for (std::optional<RunningReader>& slot : readers) {
      if (slot && &*slot == &victim) slot.reset();
    }
  }
  for (std::optional<RunningReader>& reader : readers) {
    if (!reader) continue;
    ASSERT_NO_FATAL_FAILURE(Kill(*reader, totals));
    ++kills;
  }
  EXPECT_GE(kills, 200);
  EXPECT_GT(totals.hits, 0u) << "the readers never hit, in " << totals.lookups << " lookups";

  // What the keeper published last is what a reader gets.
  ASSERT_OK(arena_->store().CheckConsistency());
  std::uint64_t hits = 0;
  ASSERT_NO_FATAL_FAILURE(ExpectLatestValues(&hits));
  EXPECT_EQ(hits, arena_->store().stats().entries);

  // Nothing is pinned by the dead: every entry can go, every byte comes back,
  // and the whole cache can be filled and read again.
  arena_->store().Clear();
  StoreStats stats = arena_->store().stats();
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes_used, 0u);
  ASSERT_OK(arena_->store().CheckConsistency());
  for (std::uint64_t id = 0; id < kKeys; ++id) ASSERT_NO_FATAL_FAILURE(Insert(id));
  hits = 0;
  ASSERT_NO_FATAL_FAILURE(ExpectLatestValues(&hits));
  EXPECT_EQ(hits, arena_->store().stats().entries);
  EXPECT_EQ(arena_->store().stats().inserts - arena_->store().stats().evictions, hits);
  ASSERT_OK(arena_->store().CheckConsistency());
}

}  // namespace
}  // namespace sluice::shm_cache::testing
