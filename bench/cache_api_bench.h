// st::cache_data measured through the real runtime (bench/real_cache.h):
// cached functions called in forked workers, hitting and missing in the
// arena the real keeper writes.
#pragma once

#include <cstddef>

#include "bench/real_cache.h"
#include "bench/table.h"

namespace sluice::bench {

// A cached function returning a 64-byte struct, called with an int: `keys`
// misses fill the cache (one worker; each miss timed), then `lookups` random
// hits per worker at 1/2/4/8 workers, beside an in-process
// absl::flat_hash_map<int, 64 bytes> lookup + copy. Prints its rows.
void SmallValueRows(RealCache& cache, std::size_t keys, std::size_t lookups, int runs,
                    const Table& table);

// The seeds' frame (`rows` x 4 doubles, four std::vector<double>) through a
// cached function, each figure the median of `runs` fresh workers.
struct LargeValueFigures {
  double miss_ms = 0;            // the first call: compute + publish through a memfd
  double direct_ms = 0;          // the function called directly
  double readable_ms = 0;        // from the miss's start until the keeper's copy is readable
  double hit_ms = 0;             // a later call in a fresh worker
  double hit_huge_mib = 0;       // AnonHugePages of that worker after its hit
  double hit_faults = 0;         // minor page faults of that hit (getrusage)
  double fresh_ms = 0;           // (a) 4 new arrays (malloc) + memcpy from the arena
  double touched_ms = 0;         // (b) the same memcpy into touched arrays
  double round_trip_ms = 0;      // (c) Cap'n Proto serialize + deserialize of the frame
  double private_ms = 0;         // MAP_PRIVATE mapping of the entry, every page read
  double column_hit_ms = 0;      // the frame in st::Columns: a mapped hit, every page read
  double column_hit_faults = 0;  // minor page faults of that hit and read
};
LargeValueFigures MeasureLargeValue(RealCache& cache, std::size_t rows, int runs);

}  // namespace sluice::bench
