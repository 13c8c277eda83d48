// bench/cache: the shared-memory cache arena against what a copy costs on
// this machine, every baseline measured in the same run.
//
//   64-byte hits     lookups/s of a Reader on the read-only mapping, beside
//                    an in-process absl::flat_hash_map lookup + 64-byte copy,
//                    both from the same ready 128-bit key; then 1/2/4/8
//                    processes at once (aggregate); the first pass after
//                    fork; and both from argument bytes (XXH3-128 vs absl::Hash)
//   320 MiB hit      the seeds' frame (10M rows x 4 doubles) copied out of the
//                    arena in a freshly forked process, beside (a) memcpy
//                    into equally fresh memory, (b) memcpy into touched
//                    memory, (c) a Cap'n Proto serialize + deserialize round
//                    trip; with 4 KiB pages and with transparent huge pages;
//                    and a MAP_PRIVATE mapping of the entry (copy semantics,
//                    no copy)
//
// Usage: cache_bench [--rows 10000000] [--keys 1000000] [--lookups 2000000] [--runs 3]
// (--rows 0 leaves the large-value part out)
#include <benchmark/benchmark.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#define XXH_INLINE_ALL  // as the worker would: no call into libxxhash per key
#include <xxhash.h>

#include "absl/container/flat_hash_map.h"
#include "bench/frame.capnp.h"
#include "bench/stats.h"
#include "shm_cache/arena.h"
#include "shm_cache/reader.h"
#include "shm_cache/store.h"

namespace sluice::bench {
namespace {

using Clock = std::chrono::steady_clock;
using shm_cache::Key;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct KeyHash {
  std::size_t operator()(const Key& key) const {
    return key.low ^ (key.high * 0x9E3779B97F4A7C15ull);
  }
};

Key KeyFor(std::uint64_t i) {
  std::uint64_t mixed = (i + 1) * 0x9E3779B97F4A7C15ull;
  return {mixed ^ (mixed >> 29), i * 0xC2B2AE3D27D4EB4Full + 7};
}

// Runs `work` in a fresh child and returns the double it writes to a pipe.
double InChild(const std::function<double()>& work) {
  int fds[2];
  if (::pipe(fds) != 0) std::abort();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    double result = work();
    if (::write(fds[1], &result, sizeof(result)) != sizeof(result)) _exit(1);
    _exit(0);
  }
  ::close(fds[1]);
  double result = -1;
  if (::read(fds[0], &result, sizeof(result)) != sizeof(result)) result = -1;
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  return result;
}

// Median of `runs` fresh-child measurements.
double Median(int runs, const std::function<double()>& work) {
  Samples samples;
  for (int i = 0; i < runs; ++i) samples.Add(InChild(work));
  return samples.P50();
}

// Fresh memory for `bytes`: untouched 4 KiB pages, or transparent huge
// pages (madvise) when `huge`.
std::byte* FreshMemory(std::size_t bytes, bool huge) {
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) std::abort();
  ::madvise(memory, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  return static_cast<std::byte*>(memory);
}

// When one process's timed loop ran, by CLOCK_MONOTONIC (shared by every
// process, so windows of concurrent processes can be compared).
struct Window {
  std::uint64_t start_ns;
  std::uint64_t end_ns;
};

// Runs `loop` in `processes` freshly forked children at once and returns
// their total lookups per second: lookups over the span from the first
// start to the last end. With `warm`, each child first runs the loop once
// untimed (faulting in its pages, as a long-lived worker already has), then
// all start together; without, each times its first pass after fork.
double Concurrent(int processes, std::size_t lookups, bool warm,
                  const std::function<void()>& loop) {
  int ready[2], go[2], results[2];
  if (::pipe(ready) != 0 || ::pipe(go) != 0 || ::pipe(results) != 0) std::abort();
  std::vector<pid_t> pids;
  for (int p = 0; p < processes; ++p) {
    pid_t pid = ::fork();
    if (pid < 0) std::abort();
    if (pid == 0) {
      ::close(go[1]);
      if (warm) loop();
      char byte = 1;
      if (::write(ready[1], &byte, 1) != 1) _exit(1);
      if (::read(go[0], &byte, 1) != 0) _exit(1);  // EOF: the parent said go
      Window window;
      window.start_ns = shm_cache::MonotonicNowNs();
      loop();
      window.end_ns = shm_cache::MonotonicNowNs();
      if (::write(results[1], &window, sizeof(window)) != sizeof(window)) _exit(1);
      _exit(0);
    }
    pids.push_back(pid);
  }
  ::close(ready[1]);
  ::close(results[1]);
  ::close(go[0]);
  for (int p = 0; p < processes; ++p) {
    char byte;
    if (::read(ready[0], &byte, 1) != 1) std::abort();
  }
  ::close(go[1]);
  std::uint64_t first = ~std::uint64_t{0}, last = 0;
  for (int p = 0; p < processes; ++p) {
    Window window;
    if (::read(results[0], &window, sizeof(window)) != sizeof(window)) std::abort();
    first = std::min(first, window.start_ns);
    last = std::max(last, window.end_ns);
  }
  for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
  ::close(ready[0]);
  ::close(results[0]);
  return static_cast<double>(processes) * static_cast<double>(lookups) * 1e9 /
         static_cast<double>(last - first);
}

// Medians of `runs` measurements of two loops, taken in turn (ABAB...) so
// that the machine's noise falls on both alike.
std::pair<double, double> Paired(int runs, const std::function<double(bool second)>& measure) {
  Samples first, second;
  for (int i = 0; i < runs; ++i) {
    first.Add(measure(false));
    second.Add(measure(true));
  }
  return {first.P50(), second.P50()};
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

void Print(const char* name, double ours, double theirs) {
  std::printf("%-34s %9.1f ns/hit %7.2f M/s  |  %9.1f ns/hit %7.2f M/s  | %6.2fx\n", name,
              1e9 / ours, ours / 1e6, 1e9 / theirs, theirs / 1e6, ours / theirs);
}

void SmallHits(std::size_t keys, std::size_t lookups, int runs) {
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

  std::printf("\n64-byte values, %zu keys, %zu random lookups per process, median of %d\n", keys,
              lookups, runs);
  std::printf("arena: Reader::GetInto on the read-only mapping into a 64-byte buffer (no\n");
  std::printf("       deadline on these entries, so no clock read; seqlock + key checked)\n");
  std::printf("map:   in-process absl::flat_hash_map<Key, 64 bytes>::find + 64-byte memcpy\n");
  std::printf("both look up the same ready 128-bit key (hashing the arguments into it is\n");
  std::printf("shown separately below); warm: each process ran the loop once first\n");
  std::printf("%-34s %27s  |  %27s  | %7s\n", "", "arena", "flat_hash_map", "ratio");
  for (int processes : {1, 2, 4, 8}) {
    auto [ours, theirs] = Paired(runs, [&](bool map_side) {
      return Concurrent(processes, lookups, true, map_side ? map_loop : arena_loop);
    });
    std::string name =
        "hit64, warm, " + std::to_string(processes) + (processes == 1 ? " process" : " processes");
    if (processes > 1) name += " (total)";
    Print(name.c_str(), ours, theirs);
  }
  {
    auto [ours, theirs] = Paired(runs, [&](bool map_side) {
      return Concurrent(1, lookups, false, map_side ? map_loop : arena_loop);
    });
    Print("hit64, first pass after fork", ours, theirs);
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
  Print("hit64 from 24 argument bytes, warm", ours, theirs);
  std::printf("(arena: XXH3-128 seeded + lookup + copy; map: absl::Hash + find + copy)\n");
}

void LargeHit(std::size_t rows) {
  const std::size_t bytes = rows * 4 * sizeof(double);
  std::vector<double> frame(rows * 4);
  for (std::size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<double>(i) * 0.5;
  auto frame_bytes = std::as_bytes(std::span(frame));

  std::size_t arena_bytes = bytes + (64u << 20);
  auto arena = shm_cache::CreateArenaFile(arena_bytes);
  auto writable = shm_cache::Mapping::Writable(arena->get(), arena_bytes);
  auto store = shm_cache::Store::Format(writable->data(), writable->size());
  auto insert_start = Clock::now();
  if (!(*store)->Insert(KeyFor(1), frame_bytes, {}, 0).ok()) std::abort();
  double insert_ms = Seconds(Clock::now() - insert_start) * 1e3;
  (void)shm_cache::SealArena(arena->get());
  auto mapping = shm_cache::Mapping::ReadOnly(arena->get(), arena_bytes);
  auto reader = shm_cache::Reader::Attach(mapping->data(), mapping->size());
  const std::byte* source = reinterpret_cast<const std::byte*>(frame.data());

  auto timed = [](const std::function<void()>& work) {
    auto start = Clock::now();
    work();
    return Seconds(Clock::now() - start) * 1e3;
  };
  auto hit = [&](bool huge) {
    return timed([&] {
      std::byte* out = nullptr;
      bool ok = reader->Get(KeyFor(1), shm_cache::MonotonicNowNs(),
                            [&](std::size_t n) { return out = FreshMemory(n, huge); });
      if (!ok || std::memcmp(out + bytes - 64, source + bytes - 64, 64) != 0) std::abort();
    });
  };
  auto memcpy_fresh = [&](bool huge) {
    return timed([&] { std::memcpy(FreshMemory(bytes, huge), source, bytes); });
  };
  auto memcpy_touched = [&] {
    std::byte* out = FreshMemory(bytes, false);
    std::memset(out, 1, bytes);
    return timed([&] { std::memcpy(out, source, bytes); });
  };
  auto serialize_round_trip = [&] {
    return timed([&] {
      capnp::MallocMessageBuilder message;
      auto table = message.initRoot<::BenchFrame>();
      auto columns = table.initColumns(4);
      for (unsigned c = 0; c < 4; ++c) {
        auto column = columns.init(c, static_cast<unsigned>(rows));
        for (std::size_t r = 0; r < rows; ++r)
          column.set(static_cast<unsigned>(r), frame[c * rows + r]);
      }
      kj::Array<capnp::word> flat = capnp::messageToFlatArray(message);
      capnp::FlatArrayMessageReader read(flat, {1ull << 40, 64});
      std::vector<double> back(rows * 4);
      auto in = read.getRoot<::BenchFrame>().getColumns();
      for (unsigned c = 0; c < 4; ++c) {
        auto column = in[c];
        for (std::size_t r = 0; r < rows; ++r)
          back[c * rows + r] = column[static_cast<unsigned>(r)];
      }
      if (back.back() != frame.back()) std::abort();
    });
  };
  auto private_mapping = [&] {
    return timed([&] {
      auto where = reader->Locate(KeyFor(1), shm_cache::MonotonicNowNs());
      if (!where) std::abort();
      void* view = ::mmap(nullptr, where->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, arena->get(),
                          static_cast<off_t>(where->file_offset));
      if (view == MAP_FAILED) std::abort();
      const auto* bytes_in = static_cast<const volatile std::byte*>(view);
      std::uint64_t sum = 0;
      for (std::size_t at = 0; at < where->size; at += shm_cache::kPageSize) {
        sum += static_cast<std::uint64_t>(bytes_in[at]);
      }
      if (!reader->Unchanged(*where) || sum == 1) std::abort();
    });
  };

  constexpr int kRuns = 3;
  double hit_4k = Median(kRuns, [&] { return hit(false); });
  double hit_huge = Median(kRuns, [&] { return hit(true); });
  double fresh_4k = Median(kRuns, [&] { return memcpy_fresh(false); });
  double fresh_huge = Median(kRuns, [&] { return memcpy_fresh(true); });
  double touched = Median(kRuns, memcpy_touched);
  double round_trip = Median(kRuns, serialize_round_trip);
  double mapped = Median(kRuns, private_mapping);

  std::printf("\n%zu rows x 4 doubles = %.0f MiB, in a freshly forked process (median of %d)\n",
              rows, bytes / 1048576.0, kRuns);
  std::printf("%-52s %10s %12s\n", "", "ms", "vs hit");
  auto row = [&](const char* what, double ms, double hit_ms) {
    std::printf("%-52s %10.1f %11.2fx\n", what, ms, ms / hit_ms);
  };
  row("arena hit, 4 KiB pages", hit_4k, hit_4k);
  row("(a) memcpy into fresh memory, 4 KiB pages", fresh_4k, hit_4k);
  row("arena hit, transparent huge pages", hit_huge, hit_huge);
  row("(a) memcpy into fresh memory, huge pages", fresh_huge, hit_huge);
  row("(b) memcpy into touched memory", touched, hit_huge);
  row("(c) Cap'n Proto serialize + deserialize", round_trip, hit_huge);
  row("MAP_PRIVATE mapping of the entry, every page read", mapped, hit_huge);
  std::printf("keeper insert (one memcpy into the arena): %.1f ms\n", insert_ms);
  std::printf("targets: hit <= 1.5x (a) with the same pages; (c) >= 6x the hit\n");
}

}  // namespace
}  // namespace sluice::bench

int main(int argc, char** argv) {
  std::size_t rows = 10'000'000, lookups = 2'000'000, keys = 1'000'000;
  int runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--rows") rows = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--lookups") lookups = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--keys") keys = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--runs") runs = std::atoi(argv[i + 1]);
  }
  std::printf("sluice cache benchmark (%ld cores)\n", sysconf(_SC_NPROCESSORS_ONLN));
  sluice::bench::SmallHits(keys, lookups, runs);
  if (rows > 0) sluice::bench::LargeHit(rows);
  return 0;
}
