#include "bench/cache_api_bench.h"

#include <benchmark/benchmark.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <source_location>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "bench/forked.h"
#include "bench/frame.capnp.h"
#include "bench/stats.h"
#include "runtime/cache_state.h"
#include "sluice/cache.hpp"

namespace sluice::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Minor page faults of this process so far: what a copy into fresh memory
// costs whatever a fault costs on this machine.
long MinorFaults() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// How often this process ran the cached functions' bodies: a measured hit
// that computed was a miss.
int value_computes = 0;
int frame_computes = 0;

// A plain 64-byte struct. (Named fields: a C array member would make
// boost::pfr, and so st::cache_data, reject the struct.)
struct Value64 {
  std::uint64_t w0, w1, w2, w3, w4, w5, w6, w7;
};
static_assert(sizeof(Value64) == 64);

Value64 MakeValue(int i) {
  ++value_computes;
  std::uint64_t base = static_cast<std::uint64_t>(i) * 8;
  return {base, base + 1, base + 2, base + 3, base + 4, base + 5, base + 6, base + 7};
}

const std::source_location kValueSite = std::source_location::current();
const auto kCachedValue = st::cache_data(&MakeValue, {}, kValueSite);

// The seeds' example, as an app would write it.
struct Frame {
  std::vector<double> a, b, c, d;
};

double FrameValue(int column, std::size_t row, std::int64_t seed) {
  return static_cast<double>(row) * 0.5 + column + static_cast<double>(seed) * 1e-3;
}

Frame MakeFrame(std::int64_t rows, std::int64_t seed) {
  ++frame_computes;
  Frame frame;
  std::vector<double>* columns[4] = {&frame.a, &frame.b, &frame.c, &frame.d};
  for (int c = 0; c < 4; ++c) {
    columns[c]->resize(static_cast<std::size_t>(rows));
    for (std::size_t r = 0; r < columns[c]->size(); ++r) (*columns[c])[r] = FrameValue(c, r, seed);
  }
  return frame;
}

const std::source_location kFrameSite = std::source_location::current();
const auto kCachedFrame = st::cache_data(&MakeFrame, {}, kFrameSite);

// The same frame in st::Columns: a hit maps the entry instead of copying.
struct ColumnFrame {
  st::Column<double> a, b, c, d;
};
ColumnFrame MakeColumnFrame(std::int64_t rows, std::int64_t seed) {
  Frame frame = MakeFrame(rows, seed);
  return {st::Column<double>(std::move(frame.a)), st::Column<double>(std::move(frame.b)),
          st::Column<double>(std::move(frame.c)), st::Column<double>(std::move(frame.d))};
}
const std::source_location kColumnFrameSite = std::source_location::current();
const auto kCachedColumnFrame = st::cache_data(&MakeColumnFrame, {}, kColumnFrameSite);

// The arena key of a call of st::cache_data(function, {}, site), made as
// CachedFunction makes it, so that baselines can read the very bytes a hit
// reads.
template <class F, class... A>
shm_cache::Key KeyOf(F function, const std::source_location& site, const A&... args) {
  st::detail::FunctionInfo info =
      st::detail::DescribeFunction(typeid(F), reinterpret_cast<const void*>(function), site, {});
  st::Hasher hasher;
  st::detail::HashArguments(hasher, args...);
  return runtime::cache::MakeKey(info.id_low, info.id_high, hasher);
}
shm_cache::Key FrameKey(std::int64_t rows, std::int64_t seed) {
  return KeyOf(&MakeFrame, kFrameSite, rows, seed);
}

// The frame's four columns where they lie in the arena. The encoding
// (sluice/cache_value.hpp): per vector, a uint64 count, padding to 64 bytes,
// then the doubles.
std::array<const double*, 4> ColumnsInArena(const RealCache& cache,
                                            const shm_cache::Reader::Location& where) {
  const std::byte* value = cache.arena().data() + where.file_offset;
  std::array<const double*, 4> columns;
  std::size_t at = 0;
  for (auto& column : columns) {
    std::uint64_t count;
    std::memcpy(&count, value + at, sizeof count);
    at = (at + sizeof count + 63) / 64 * 64;
    column = reinterpret_cast<const double*>(value + at);
    at += count * sizeof(double);
  }
  return columns;
}

// This process's memory in transparent huge pages, MiB.
double AnonHugeMiB() {
  std::ifstream rollup("/proc/self/smaps_rollup");
  std::string line;
  while (std::getline(rollup, line)) {
    if (line.rfind("AnonHugePages:", 0) == 0) return std::atof(line.c_str() + 14) / 1024.0;
  }
  return 0;
}

}  // namespace

void SmallValueRows(RealCache& cache, std::size_t keys, std::size_t lookups, int runs,
                    const Table& table) {
  Forker worker = [&cache] { return cache.ForkWorker(); };
  const auto& cached = kCachedValue;

  // One worker misses every key once: claim, compute, publish inline.
  std::vector<double> miss = InChild(
      [&] {
        Samples misses;
        for (std::size_t i = 0; i < keys; ++i) {
          auto start = Clock::now();
          benchmark::DoNotOptimize(cached(static_cast<int>(i)));
          misses.Add(Ms(Clock::now() - start) * 1e3);
        }
        auto start = Clock::now();
        for (std::size_t i = 0; i < keys; ++i)
          benchmark::DoNotOptimize(MakeValue(static_cast<int>(i)));
        double direct_us = Ms(Clock::now() - start) * 1e3 / static_cast<double>(keys);
        cached.clear(-1);  // answered after every publish before it: all are in
        return std::vector<double>{misses.P50(), misses.P99(), direct_us};
      },
      worker);
  shm_cache::ArenaCounters counters = cache.reader().counters();
  if (counters.entries < keys || counters.evictions != 0) {
    std::fprintf(stderr, "cache_bench: %zu keys published, %lu entries, %lu evictions\n", keys,
                 counters.entries, counters.evictions);
    std::exit(1);
  }

  std::vector<std::uint32_t> order(lookups);
  std::mt19937 random(7);
  for (auto& i : order) i = random() % keys;
  absl::flat_hash_map<int, Value64> map;
  map.reserve(keys);
  for (std::size_t i = 0; i < keys; ++i) map[static_cast<int>(i)] = MakeValue(static_cast<int>(i));

  // Both loops sum a word of each copy, so that no copy can be left out.
  std::function<void()> api_loop = [&] {
    const int computes = value_computes;
    std::uint64_t sum = 0;
    for (std::uint32_t i : order) {
      Value64 value = cached(static_cast<int>(i));
      benchmark::DoNotOptimize(value);
      sum += value.w1;
    }
    benchmark::DoNotOptimize(sum);
    if (value_computes != computes) {
      std::fprintf(stderr, "cache_bench: a 64-byte lookup missed\n");
      _exit(1);
    }
  };
  std::vector<shm_cache::Key> arena_keys(keys);
  for (std::size_t i = 0; i < keys; ++i) arena_keys[i] = KeyOf(&MakeValue, kValueSite, int(i));
  const shm_cache::Reader& reader = cache.reader();
  std::function<void()> reader_loop = [&] {
    std::uint64_t sum = 0;
    alignas(64) std::byte entry[128];
    for (std::uint32_t i : order) {
      if (reader.GetInto(arena_keys[i], entry) != sizeof(Value64)) std::abort();
      Value64 value;
      std::memcpy(&value, entry, sizeof value);
      benchmark::DoNotOptimize(value);
      sum += value.w1;
    }
    benchmark::DoNotOptimize(sum);
  };
  std::function<void()> map_loop = [&] {
    std::uint64_t sum = 0;
    for (std::uint32_t i : order) {
      Value64 value;
      std::memcpy(&value, &map.find(static_cast<int>(i))->second, sizeof value);
      benchmark::DoNotOptimize(value);
      sum += value.w1;
    }
    benchmark::DoNotOptimize(sum);
  };

  table.Section("st::cache_data: Value64 f(int), " + std::to_string(keys) + " keys, " +
                std::to_string(lookups) + " random calls per worker (median of " +
                std::to_string(runs) + "; M calls/s, total over workers)");
  table.Note("hit: hash the int, key (XXH3-128, secret), arena lookup, decode, return; warm:");
  table.Note(
      "each worker ran the loop once first. map: absl::flat_hash_map<int, Value64> in-process");
  for (int processes : {1, 2, 4, 8}) {
    auto [ours, theirs] = Paired(runs, [&](bool map_side) {
      return map_side ? Concurrent(processes, lookups, true, map_loop)
                      : Concurrent(processes, lookups, true, api_loop, worker);
    });
    table.Row("hit, warm, " + std::to_string(processes) + (processes == 1 ? " worker" : " workers"),
              ours, "map find + 64-byte copy", theirs, Unit::kMillionPerSecond, AtLeast(0.5));
  }
  auto [ours, theirs] = Paired(runs, [&](bool map_side) {
    return map_side ? Concurrent(1, lookups, false, map_loop)
                    : Concurrent(1, lookups, false, api_loop, worker);
  });
  table.Row("hit, first pass after fork, 1 worker", ours, "map find + 64-byte copy", theirs,
            Unit::kMillionPerSecond, AtLeast(0.5));
  {
    // Without a keeper socket a hit reports no touch (nothing for the keeper
    // to do): what the touches cost.
    auto [ours, theirs] = Paired(runs, [&](bool map_side) {
      return map_side ? Concurrent(1, lookups, true, map_loop)
                      : Concurrent(1, lookups, true, api_loop);
    });
    table.Row("hit, warm, 1 worker without keeper (no touches)", ours, "map find + 64-byte copy",
              theirs, Unit::kMillionPerSecond, AtLeast(0.5));
  }
  {
    // The same entries read with the Reader alone, from keys made
    // beforehand: what the API adds to the lookup.
    auto [ours, theirs] = Paired(runs, [&](bool map_side) {
      return map_side ? Concurrent(1, lookups, true, map_loop)
                      : Concurrent(1, lookups, true, reader_loop);
    });
    table.Row("Reader::GetInto of those entries, ready keys, warm", ours, "map find + 64-byte copy",
              theirs, Unit::kMillionPerSecond);
  }
  table.Overhead("miss (claim, compute, publish inline), p50", miss[0], "direct call", miss[2],
                 Unit::kMicroseconds);
  table.Overhead("miss, p99", miss[1], "direct call", miss[2], Unit::kMicroseconds);
}

LargeValueFigures MeasureLargeValue(RealCache& cache, std::size_t rows_count, int runs) {
  Forker worker = [&cache] { return cache.ForkWorker(); };
  const std::int64_t rows = static_cast<std::int64_t>(rows_count);
  const std::int64_t seed = 1;
  const shm_cache::Key key = FrameKey(rows, seed);
  const shm_cache::Reader& reader = cache.reader();
  const std::size_t column_bytes = rows_count * sizeof(double);
  auto check = [&](const Frame& frame) {
    if (frame.d.size() != rows_count || frame.d.back() != FrameValue(3, rows_count - 1, seed) ||
        frame.a[rows_count / 2] != FrameValue(0, rows_count / 2, seed)) {
      std::fprintf(stderr, "cache_bench: the frame came back wrong\n");
      _exit(1);
    }
  };
  LargeValueFigures figures;

  // Misses: the last one's entry stays for the hits.
  int misses_left = runs;
  auto [miss, direct] = Paired(runs, [&](bool direct_side) {
    if (direct_side) {
      return InChild([&] {
        auto start = Clock::now();
        Frame frame = MakeFrame(rows, seed);
        double ms = Ms(Clock::now() - start);
        check(frame);
        return ms;
      });
    }
    bool keep = --misses_left == 0;
    std::vector<double> times = InChild(
        [&] {
          auto start = Clock::now();
          Frame frame = kCachedFrame(rows, seed);
          double call_ms = Ms(Clock::now() - start);
          while (!reader.Contains(key, shm_cache::MonotonicNowNs())) ::usleep(200);
          double readable_ms = Ms(Clock::now() - start);
          check(frame);
          if (!keep) kCachedFrame.clear(rows, seed);
          return std::vector<double>{call_ms, readable_ms};
        },
        worker);
    figures.readable_ms = std::max(figures.readable_ms, times[1]);
    return times[0];
  });
  figures.miss_ms = miss;
  figures.direct_ms = direct;

  std::vector<double> hit_ms, hit_huge, hit_faults;
  for (int i = 0; i < runs; ++i) {
    std::vector<double> hit = InChild(
        [&] {
          const int computes = frame_computes;
          long faults = MinorFaults();
          auto start = Clock::now();
          Frame frame = kCachedFrame(rows, seed);
          double ms = Ms(Clock::now() - start);
          faults = MinorFaults() - faults;
          if (frame_computes != computes) {
            std::fprintf(stderr, "cache_bench: the frame missed\n");
            _exit(1);
          }
          check(frame);
          return std::vector<double>{ms, AnonHugeMiB(), static_cast<double>(faults)};
        },
        worker);
    hit_ms.push_back(hit[0]);
    hit_huge.push_back(hit[1]);
    hit_faults.push_back(hit[2]);
  }
  Samples hits, faults;
  for (double ms : hit_ms) hits.Add(ms);
  for (double count : hit_faults) faults.Add(count);
  figures.hit_ms = hits.P50();
  figures.hit_faults = faults.P50();
  figures.hit_huge_mib = *std::max_element(hit_huge.begin(), hit_huge.end());

  // (a) and (b): the same bytes copied with memcpy into arrays from malloc,
  // as a decoder with no overhead would.
  auto copy = [&](bool touched) {
    auto where = reader.Locate(key, shm_cache::MonotonicNowNs());
    if (!where) std::abort();
    std::array<const double*, 4> from = ColumnsInArena(cache, *where);
    std::array<std::unique_ptr<double[]>, 4> to;
    if (touched) {
      for (int c = 0; c < 4; ++c) {
        to[c].reset(new double[rows_count]);
        std::memcpy(to[c].get(), from[c], column_bytes);
      }
    }
    auto start = Clock::now();
    for (int c = 0; c < 4; ++c) {
      if (!touched) to[c].reset(new double[rows_count]);
      std::memcpy(to[c].get(), from[c], column_bytes);
    }
    double ms = Ms(Clock::now() - start);
    if (!reader.Unchanged(*where) || to[3][rows_count - 1] != FrameValue(3, rows_count - 1, seed))
      std::abort();
    return ms;
  };
  figures.fresh_ms = Median(runs, [&] { return copy(false); });
  figures.touched_ms = Median(runs, [&] { return copy(true); });

  // (c): what Streamlit's pickle does, in Cap'n Proto.
  figures.round_trip_ms = Median(runs, [&] {
    Frame frame = MakeFrame(rows, seed);
    const std::vector<double>* in[4] = {&frame.a, &frame.b, &frame.c, &frame.d};
    auto start = Clock::now();
    capnp::MallocMessageBuilder message;
    auto columns = message.initRoot<::BenchFrame>().initColumns(4);
    for (unsigned c = 0; c < 4; ++c) {
      auto column = columns.init(c, static_cast<unsigned>(rows_count));
      for (unsigned r = 0; r < rows_count; ++r) column.set(r, (*in[c])[r]);
    }
    kj::Array<capnp::word> flat = capnp::messageToFlatArray(message);
    capnp::FlatArrayMessageReader read(flat, {1ull << 40, 64});
    auto stored = read.getRoot<::BenchFrame>().getColumns();
    Frame back;
    std::vector<double>* out[4] = {&back.a, &back.b, &back.c, &back.d};
    for (unsigned c = 0; c < 4; ++c) {
      auto column = stored[c];
      out[c]->resize(column.size());
      for (unsigned r = 0; r < column.size(); ++r) (*out[c])[r] = column[r];
    }
    double ms = Ms(Clock::now() - start);
    check(back);
    return ms;
  });

  // The frame in st::Columns, hit in a fresh worker: the call, then one read
  // of every page (as the MAP_PRIVATE row), since a mapping pays its page
  // faults when the pages are first used.
  InChild([&] { return kCachedColumnFrame(rows, seed).a.empty() ? 1.0 : 0.0; }, worker);  // miss
  const shm_cache::Key column_key = KeyOf(&MakeColumnFrame, kColumnFrameSite, rows, seed);
  while (!reader.Contains(column_key, shm_cache::MonotonicNowNs())) ::usleep(200);
  Samples column_ms, column_faults;
  for (int i = 0; i < runs; ++i) {
    std::vector<double> hit = InChild(
        [&] {
          const int computes = frame_computes;
          long faults = MinorFaults();
          auto start = Clock::now();
          ColumnFrame frame = kCachedColumnFrame(rows, seed);
          double sum = 0;
          for (const st::Column<double>* column : {&frame.a, &frame.b, &frame.c, &frame.d}) {
            for (std::size_t r = 0; r < column->size();
                 r += shm_cache::kPageSize / sizeof(double)) {
              sum += (*column)[r];
            }
          }
          double ms = Ms(Clock::now() - start);
          faults = MinorFaults() - faults;
          benchmark::DoNotOptimize(sum);
          if (frame_computes != computes || !frame.a.mapped() || frame.d.size() != rows_count ||
              frame.d[rows_count - 1] != FrameValue(3, rows_count - 1, seed)) {
            std::fprintf(stderr, "cache_bench: the column frame missed or was not mapped\n");
            _exit(1);
          }
          return std::vector<double>{ms, static_cast<double>(faults)};
        },
        worker);
    column_ms.Add(hit[0]);
    column_faults.Add(hit[1]);
  }
  figures.column_hit_ms = column_ms.P50();
  figures.column_hit_faults = column_faults.P50();

  figures.private_ms = Median(runs, [&] {
    auto start = Clock::now();
    auto where = reader.Locate(key, shm_cache::MonotonicNowNs());
    if (!where) std::abort();
    void* view = ::mmap(nullptr, where->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, cache.arena_fd(),
                        static_cast<off_t>(where->file_offset));
    if (view == MAP_FAILED) std::abort();
    const auto* bytes = static_cast<const volatile std::byte*>(view);
    std::uint64_t sum = 0;
    for (std::size_t at = 0; at < where->size; at += shm_cache::kPageSize) {
      sum += static_cast<std::uint64_t>(bytes[at]);
    }
    double ms = Ms(Clock::now() - start);
    if (!reader.Unchanged(*where) || sum == 1) std::abort();
    return ms;
  });
  return figures;
}

}  // namespace sluice::bench
