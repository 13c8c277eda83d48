// The cache runtime's per-process state, shared by st_cache_data.cc and
// st_cache_resource.cc: the key secret and app build, the arena reader and
// the keeper client. Set up by PrepareCacheInZygote / AttachKeeper
// (runtime/cache_runtime.h); single-threaded like the app.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "runtime/keeper_client.h"
#include "shm_cache/layout.h"
#include "shm_cache/reader.h"
#include "sluice/cache_key.hpp"

namespace sluice::runtime::cache {

// XXH3-128, under the deployment's secret, of (identity, app build, args).
shm_cache::Key MakeKey(std::uint64_t id_low, std::uint64_t id_high, const st::Hasher& args);
// The 32-bit function id the keeper groups entries by (max_entries, clear).
std::uint32_t ShortId(std::uint64_t id_low, std::uint64_t id_high);

// The read-only arena, or null without a shared cache.
const shm_cache::Reader* Arena();
// The keeper, or null when there is none (or it went away).
KeeperClient* Keeper();

// Blocks until `fd` is readable (true) or `deadline` passes (false); inside
// a run it keeps serving the session (and may throw st::RerunSignal),
// outside one it just waits. A KeeperClient::WaitFn.
bool WaitReadable(int fd, std::chrono::steady_clock::time_point deadline);

}  // namespace sluice::runtime::cache
