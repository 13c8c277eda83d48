// bench/cache: the cache_data store against what the same work costs
// without it, every baseline measured in the same run, in one table.
//
//   Reader alone     64-byte lookups/s of shm_cache::Reader on the read-only
//                    arena, beside an in-process absl::flat_hash_map lookup +
//                    64-byte copy; 1/2/4/8 processes at once (aggregate); the
//                    first pass after fork; and both from argument bytes
//   st::cache_data   the same through the real runtime (bench/real_cache.h:
//                    the real keeper, forked workers): Value64 f(int) hits
//                    at 1/2/4/8 workers beside the map, and its misses
//   320 MiB frame    the seeds' frame (10M rows x 4 std::vector<double>)
//                    through st::cache_data: a hit in a freshly forked worker
//                    beside (a) malloc + memcpy of the same bytes into equally
//                    fresh memory, (b) memcpy into touched memory, (c) a Cap'n
//                    Proto serialize + deserialize round trip; with 4 KiB
//                    pages, and again in a copy of this program started with
//                    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (transparent huge
//                    pages for every large malloc); a MAP_PRIVATE mapping of
//                    the entry; the miss beside calling the function directly
//
// Usage: cache_bench [--rows 10000000] [--keys 1000000] [--lookups 2000000]
//                    [--api-keys 1000000] [--api-lookups 2000000] [--runs 3]
// (--rows 0 leaves the large value out; --keys 0 the Reader-alone rows;
// --api-keys 0 the st::cache_data 64-byte rows)
#include <benchmark/benchmark.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#define XXH_INLINE_ALL  // as the worker would: no call into libxxhash per key
#include <xxhash.h>

#include "absl/container/flat_hash_map.h"
#include "bench/cache_api_bench.h"
#include "bench/forked.h"
#include "bench/real_cache.h"
#include "bench/table.h"
#include "shm_cache/arena.h"
#include "shm_cache/reader.h"
#include "shm_cache/store.h"

namespace sluice::bench {
namespace {

using shm_cache::Key;

struct KeyHash {
  std::size_t operator()(const Key& key) const {
    return key.low ^ (key.high * 0x9E3779B97F4A7C15ull);
  }
};

Key KeyFor(std::uint64_t i) {
  std::uint64_t mixed = (i + 1) * 0x9E3779B97F4A7C15ull;
  return {mixed ^ (mixed >> 29), i * 0xC2B2AE3D27D4EB4Full + 7};
}

// Inserts `count` 64-byte values into a fresh sealed arena and returns the
// worker's read-only view of it. Keeps the arena alive in `arena`.
struct SmallArena {
  shm_cache::Mapping writable;
  shm_cache::Mapping read_only;
  std::unique_ptr<shm_cache::Store> store;
  std::optional<shm_cache::Reader> reader;
};
std::unique_ptr<SmallArena> MakeSmallArena(std::size_t keys,
                                           const std::function<Key(std::uint64_t)>& key_for) {
  // 64-byte values live in their index slots (128 bytes each); an index
  // twice as large as the key count keeps probes short.
  const std::size_t arena_bytes = keys * 2 * sizeof(shm_cache::IndexSlot) + (64u << 20);
  auto result = std::make_unique<SmallArena>();
  auto fd = shm_cache::CreateArenaFile(arena_bytes);
  if (!fd.ok()) std::abort();
  result->writable = *shm_cache::Mapping::Writable(fd->get(), arena_bytes);
  // A worker has no mapping of the keeper's: keep it out of the children.
  ::madvise(result->writable.data(), arena_bytes, MADV_DONTFORK);
  auto store =
      shm_cache::Store::Format(result->writable.data(), arena_bytes, arena_bytes / (2 * keys));
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    std::exit(1);
  }
  result->store = *std::move(store);
  for (std::size_t i = 0; i < keys; ++i) {
    std::array<std::byte, 64> value;
    value.fill(static_cast<std::byte>(i));
    if (!result->store->Insert(key_for(i), value, {}, 0).ok()) std::abort();
  }
  if (!shm_cache::SealArena(fd->get()).ok()) std::abort();
  result->read_only = *shm_cache::Mapping::ReadOnly(fd->get(), arena_bytes);
  result->reader.emplace(
      *shm_cache::Reader::Attach(result->read_only.data(), result->read_only.size()));
  return result;
}

// What a cached function's arguments might hash from: which function, which
// build of the app, one argument.
struct Arguments {
  std::uint64_t function;
  std::uint64_t build;
  std::uint64_t argument;
  bool operator==(const Arguments&) const = default;
  template <typename H>
  friend H AbslHashValue(H state, const Arguments& a) {
    return H::combine(std::move(state), a.function, a.build, a.argument);
  }
};
Arguments ArgumentsFor(std::uint64_t i) { return {0x5eed, 42, i}; }
// The arena's key for them: XXH3-128 with the deployment's secret seed.
constexpr std::uint64_t kSeed = 0x243F6A8885A308D3ull;
Key ArenaKeyFor(const Arguments& a) {
  XXH128_hash_t hash = XXH3_128bits_withSeed(&a, sizeof(a), kSeed);
  return {hash.low64, hash.high64};
}

void ReaderRows(std::size_t keys, std::size_t lookups, int runs, const Table& table) {
  std::vector<std::uint32_t> order(lookups);
  std::mt19937 random(42);
  for (auto& i : order) i = random() % keys;

  // Both sides get the same ready 128-bit key (as the worker has once it
  // hashed the arguments): the map hashes it (absl's mixing of KeyHash),
  // the arena takes its slot from the key's bits, which are already a hash.
  absl::flat_hash_map<Key, std::array<std::byte, 64>, KeyHash> map;
  map.reserve(keys);
  for (std::size_t i = 0; i < keys; ++i) {
    std::array<std::byte, 64> value;
    value.fill(static_cast<std::byte>(i));
    map[KeyFor(i)] = value;
  }
  std::unique_ptr<SmallArena> arena = MakeSmallArena(keys, KeyFor);
  const shm_cache::Reader& reader = *arena->reader;

  // Every loop sums a byte of each copy, so that no copy can be left out.
  std::function<void()> map_loop = [&] {
    std::array<std::byte, 64> out;
    std::uint64_t sum = 0;
    for (std::uint32_t i : order) {
      auto it = map.find(KeyFor(i));
      std::memcpy(out.data(), it->second.data(), 64);
      benchmark::DoNotOptimize(out);
      sum += static_cast<std::uint64_t>(out[0]);
    }
    benchmark::DoNotOptimize(sum);
  };
  std::function<void()> arena_loop = [&] {
    std::array<std::byte, 64> out;
    std::uint64_t sum = 0;
    for (std::uint32_t i : order) {
      if (reader.GetInto(KeyFor(i), out) != 64) std::abort();
      benchmark::DoNotOptimize(out);
      sum += static_cast<std::uint64_t>(out[0]);
    }
    benchmark::DoNotOptimize(sum);
  };

  table.Section("shm_cache::Reader alone: 64-byte values, " + std::to_string(keys) + " keys, " +
                std::to_string(lookups) + " random lookups per process (median of " +
                std::to_string(runs) + "; M lookups/s, total over processes)");
  table.Note("arena: Reader::GetInto of a ready 128-bit key on the read-only mapping (seqlock and");
  table.Note(
      "key checked); map: in-process absl::flat_hash_map<Key, 64 bytes> find + 64-byte copy");
  for (int processes : {1, 2, 4, 8}) {
    auto [ours, theirs] = Paired(runs, [&](bool map_side) {
      return Concurrent(processes, lookups, true, map_side ? map_loop : arena_loop);
    });
    table.Row("GetInto, warm, " + std::to_string(processes) +
                  (processes == 1 ? " process" : " processes"),
              ours, "map find + 64-byte copy", theirs, Unit::kMillionPerSecond, AtLeast(0.5));
  }
  {
    auto [ours, theirs] = Paired(runs, [&](bool map_side) {
      return Concurrent(1, lookups, false, map_side ? map_loop : arena_loop);
    });
    table.Row("GetInto, first pass after fork", ours, "map find + 64-byte copy", theirs,
              Unit::kMillionPerSecond, AtLeast(0.5));
  }
  map.clear();
  map.rehash(0);
  arena.reset();

  // The whole hit from argument values: the arena's key is XXH3-128 of them
  // with the secret seed; the map hashes them with absl::Hash.
  absl::flat_hash_map<Arguments, std::array<std::byte, 64>> by_arguments;
  by_arguments.reserve(keys);
  for (std::size_t i = 0; i < keys; ++i) {
    std::array<std::byte, 64> value;
    value.fill(static_cast<std::byte>(i));
    by_arguments[ArgumentsFor(i)] = value;
  }
  arena = MakeSmallArena(keys, [](std::uint64_t i) { return ArenaKeyFor(ArgumentsFor(i)); });
  const shm_cache::Reader& hashed_reader = *arena->reader;
  std::function<void()> map_arguments_loop = [&] {
    std::array<std::byte, 64> out;
    std::uint64_t sum = 0;
    for (std::uint32_t i : order) {
      auto it = by_arguments.find(ArgumentsFor(i));
      std::memcpy(out.data(), it->second.data(), 64);
      benchmark::DoNotOptimize(out);
      sum += static_cast<std::uint64_t>(out[0]);
    }
    benchmark::DoNotOptimize(sum);
  };
  std::function<void()> arena_arguments_loop = [&] {
    std::array<std::byte, 64> out;
    std::uint64_t sum = 0;
    for (std::uint32_t i : order) {
      if (hashed_reader.GetInto(ArenaKeyFor(ArgumentsFor(i)), out) != 64) std::abort();
      benchmark::DoNotOptimize(out);
      sum += static_cast<std::uint64_t>(out[0]);
    }
    benchmark::DoNotOptimize(sum);
  };
  auto [ours, theirs] = Paired(runs, [&](bool map_side) {
    return Concurrent(1, lookups, true, map_side ? map_arguments_loop : arena_arguments_loop);
  });
  table.Row("XXH3-128 of 24 argument bytes + GetInto, warm", ours, "absl::Hash + find + copy",
            theirs, Unit::kMillionPerSecond, AtLeast(0.5));
}

// The frame's figures with transparent huge pages: this program again, as
// a child started with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (glibc reads it
// only at startup, so a fork cannot turn it on), which starts its own keeper
// and runs MeasureLargeValue; its figures come back as "name value" lines.
std::map<std::string, double> HugePageLeg(std::size_t rows, int runs) {
  std::string rows_arg = std::to_string(rows), runs_arg = std::to_string(runs);
  const char* argv[] = {"/proc/self/exe", "--huge-page-leg", "1",    "--rows", rows_arg.c_str(),
                        "--runs",         runs_arg.c_str(),  nullptr};
  std::vector<const char*> envp = {"GLIBC_TUNABLES=glibc.malloc.hugetlb=1"};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "GLIBC_TUNABLES=", 15) != 0) envp.push_back(*e);
  }
  envp.push_back(nullptr);
  int out[2];
  if (::pipe(out) != 0) std::abort();
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    if (::dup2(out[1], STDOUT_FILENO) < 0) _exit(127);
    ::execve(argv[0], const_cast<char* const*>(argv), const_cast<char* const*>(envp.data()));
    _exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buffer[1024];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::map<std::string, double> figures;
  char name[64];
  double value;
  for (const char* at = text.c_str(); std::sscanf(at, "%63s %lf", name, &value) == 2;) {
    figures[name] = value;
    at = std::strchr(at, '\n');
    if (at == nullptr) break;
    ++at;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || figures.size() < 3) {
    std::fprintf(stderr, "cache_bench: the huge-page leg failed (status %d)\n", status);
    std::exit(1);
  }
  return figures;
}

void PrintHugePageLeg(const LargeValueFigures& f) {
  std::printf(
      "hit_ms %f\nhit_huge_mib %f\nfresh_ms %f\nround_trip_ms %f\nmiss_ms %f\n"
      "direct_ms %f\nhit_faults %f\n",
      f.hit_ms, f.hit_huge_mib, f.fresh_ms, f.round_trip_ms, f.miss_ms, f.direct_ms, f.hit_faults);
}

void LargeValueRows(const LargeValueFigures& small_pages, const std::map<std::string, double>& huge,
                    std::size_t rows, int runs, const Table& table) {
  double mib = static_cast<double>(rows) * 4 * sizeof(double) / 1048576.0;
  table.Section("st::cache_data: the seeds' frame, " + std::to_string(rows) +
                " rows x 4 std::vector<double> = " + std::to_string(static_cast<int>(mib)) +
                " MiB, in freshly forked workers (median of " + std::to_string(runs) + "; ms)");
  table.Note("4K: default malloc (4 KiB pages); THP: this bench re-run with");
  table.Note("GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (malloc madvises transparent huge pages)");
  table.Row("hit, 4K", small_pages.hit_ms, "(a) malloc + memcpy, 4K", small_pages.fresh_ms,
            Unit::kMilliseconds, AtMost(1.5));
  table.Row("hit, THP", huge.at("hit_ms"), "(a) malloc + memcpy, THP", huge.at("fresh_ms"),
            Unit::kMilliseconds, AtMost(1.5));
  table.Row("hit, THP", huge.at("hit_ms"), "hit, 4K", small_pages.hit_ms, Unit::kMilliseconds);
  table.Row("hit, 4K", small_pages.hit_ms, "(b) memcpy into touched memory", small_pages.touched_ms,
            Unit::kMilliseconds);
  table.Row("(c) Cap'n Proto round trip, 4K", small_pages.round_trip_ms, "hit, 4K",
            small_pages.hit_ms, Unit::kMilliseconds, AtLeast(6));
  table.Row("(c) Cap'n Proto round trip, THP", huge.at("round_trip_ms"), "hit, THP",
            huge.at("hit_ms"), Unit::kMilliseconds, AtLeast(6));
  table.Row("hit, st::Column frame (mapped), every page read", small_pages.column_hit_ms, "hit, 4K",
            small_pages.hit_ms, Unit::kMilliseconds);
  table.Row("(c) Cap'n Proto round trip, 4K", small_pages.round_trip_ms, "hit, st::Column",
            small_pages.column_hit_ms, Unit::kMilliseconds, AtLeast(6));
  table.Row("raw MAP_PRIVATE of the entry, every page read", small_pages.private_ms,
            "hit, st::Column", small_pages.column_hit_ms, Unit::kMilliseconds);
  table.Overhead("miss (compute, publish via memfd), 4K", small_pages.miss_ms, "direct call, 4K",
                 small_pages.direct_ms, Unit::kMilliseconds);
  table.Overhead("miss, THP", huge.at("miss_ms"), "direct call, THP", huge.at("direct_ms"),
                 Unit::kMilliseconds);
  table.Figure("entry readable by other workers after (max), 4K", small_pages.readable_ms,
               Unit::kMilliseconds);
  char faults[200];
  std::snprintf(faults, sizeof faults,
                "minor page faults: hit, 4K %.0f; hit, THP %.0f; st::Column hit + read %.0f "
                "(fresh 4 KiB pages of the frame: %.0f)",
                small_pages.hit_faults, huge.at("hit_faults"), small_pages.column_hit_faults,
                mib * 256);
  table.Note(faults);
  table.Note("THP in the hit worker: " + std::to_string(static_cast<int>(huge.at("hit_huge_mib"))) +
             " MiB of AnonHugePages with the tunable, " +
             std::to_string(static_cast<int>(small_pages.hit_huge_mib)) + " MiB without");
}

}  // namespace
}  // namespace sluice::bench

int main(int argc, char** argv) {
  std::size_t rows = 10'000'000, lookups = 2'000'000, keys = 1'000'000;
  std::size_t api_keys = 1'000'000, api_lookups = 2'000'000;
  int runs = 3;
  bool huge_page_leg = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::size_t value = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--rows") rows = value;
    if (flag == "--lookups") lookups = value;
    if (flag == "--keys") keys = value;
    if (flag == "--api-keys") api_keys = value;
    if (flag == "--api-lookups") api_lookups = value;
    if (flag == "--runs") runs = static_cast<int>(value);
    if (flag == "--huge-page-leg") huge_page_leg = value != 0;
  }
  using namespace sluice::bench;
  const std::size_t frame_bytes = rows * 4 * sizeof(double);
  // Room for the frame twice (as std::vectors and as st::Columns), with at
  // most half of it pinned by one worker (keeper/cache_service.h).
  const std::size_t large_arena_bytes = frame_bytes * 5 / 2 + (64u << 20);
  if (huge_page_leg) {
    auto cache = RealCache::Start(large_arena_bytes);
    PrintHugePageLeg(MeasureLargeValue(*cache, rows, runs));
    return 0;
  }

  Table table;
  std::printf("sluice cache benchmark: %ld cores; every baseline measured in the same run\n",
              sysconf(_SC_NPROCESSORS_ONLN));
  table.Header();
  if (keys > 0) ReaderRows(keys, lookups, runs, table);
  std::optional<LargeValueFigures> small_pages;
  if (api_keys > 0 || rows > 0) {
    // An index twice the key count, as the Reader-alone rows have, at one
    // slot per 16 KiB of arena (shm_cache::kDefaultBytesPerSlot); the memfd
    // is sparse, so only what is written costs memory. (A larger index
    // spills out of this machine's L3 and every lookup costs ~1 us.)
    std::size_t slots = std::bit_ceil(std::max<std::size_t>(api_keys * 2, 4096));
    std::size_t arena_bytes =
        std::max(slots * sluice::shm_cache::kDefaultBytesPerSlot, large_arena_bytes);
    auto cache = RealCache::Start(arena_bytes);
    if (api_keys > 0) SmallValueRows(*cache, api_keys, api_lookups, runs, table);
    if (rows > 0) small_pages = MeasureLargeValue(*cache, rows, runs);
  }
  if (small_pages) LargeValueRows(*small_pages, HugePageLeg(rows, runs), rows, runs, table);
  return 0;
}
