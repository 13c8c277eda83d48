// Where the cache_data runtime (runtime/cache_*.cc, include/sluice/cache.hpp)
// gets its arena and its keeper: the zygote prepares what every worker
// shares, and each new worker attaches its own keeper socket.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "util/unique_fd.h"

namespace sluice::runtime {

struct ZygoteCacheSetup {
  const std::byte* arena = nullptr;  // the read-only arena mapping; null: no shared cache
  std::size_t arena_bytes = 0;
  std::string app_path;  // the loaded app; its contents identify the build
  // --cache-wait-timeout: how long a worker waits for another's compute of
  // a key before computing it itself; 0: for ever.
  std::uint64_t wait_timeout_ms = 0;
};

// In the zygote, after the app is loaded and before the first fork: makes
// the deployment's secret key seed, fingerprints the app build (a rebuilt
// app misses every old entry), attaches the arena reader, and builds every
// st::cache_resource declared with .preload = true. An error (a preload
// threw) means the app cannot serve: report it like a failed load.
absl::Status PrepareCacheInZygote(const ZygoteCacheSetup& setup);

// In a new worker, before its session starts: its end of the keeper socket.
// An invalid fd (the cache is off, or the keeper is gone) means cached
// functions compute every time and publish nothing.
void AttachKeeper(UniqueFd keeper);

// Reports the hits of the run that just ended to the keeper (it keeps hot
// entries from eviction and counts hits for /metrics). Cheap when none.
void FlushCacheTouches();

}  // namespace sluice::runtime
