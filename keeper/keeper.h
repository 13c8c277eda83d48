// The cache keeper: the one process that writes the cache_data arena
// (shm_cache/). The broker starts it (fork + exec of the sluice binary,
// `sluice __keeper ...`) before it starts any thread and before the zygote.
// It runs no app code and never loads the app: it formats and seals the
// arena, then serves the broker's control socket (ipc/keeper.capnp:
// KeeperCommand / KeeperEvent) and one socket per worker (CacheRequest /
// CacheReply) on a single thread. A worker that breaks the protocol, or
// whose socket is full, is dropped; nothing a worker sends can stop the
// keeper or make it wait.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace sluice::keeper {

// The keeper's end of its control socket and its arena, at fixed
// descriptor numbers (the broker puts them there before exec).
inline constexpr int kControlFd = 3;
inline constexpr int kArenaFd = 4;

struct KeeperConfig {
  int control_fd;    // SOCK_SEQPACKET to the broker
  int arena_fd;      // the arena memfd (shm_cache::CreateArenaFile), not yet sealed
  pid_t broker_pid;  // the parent the keeper dies with
  // --cache-wait-timeout: the longest a worker may own a key before it
  // passes on (keeper/flights.h); 0: no bound.
  std::uint64_t owner_timeout_ms = 0;
};

// Never returns. Formats the arena (its size is the file's), seals it,
// closes `arena_fd` and sends KeeperEvent.ready; then serves until the
// broker closes the control socket (exit code 0) or dies (PR_SET_PDEATHSIG).
// Exits with code 1 if the arena cannot be prepared.
[[noreturn]] void RunKeeper(const KeeperConfig& config);

}  // namespace sluice::keeper
