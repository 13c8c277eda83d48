// What a freshly forked child of the zygote does to become one session's
// worker. The sandbox (sandbox/contain.h) is a step of this checklist, right
// after the descriptors are closed.
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "sandbox/contain.h"
#include "sluice/app.hpp"
#include "util/unique_fd.h"

namespace sluice::worker {

// Where a worker finds its descriptors: nothing else is open but stdio.
inline constexpr int kWorkerSessionFd = 3;
inline constexpr int kWorkerKeeperFd = 4;  // only while the shared cache is on

struct WorkerStart {
  UniqueFd session_fd;      // the worker's end of its session socket
  UniqueFd keeper_fd;       // its end of the cache keeper socket; invalid: cache off
  UniqueFd zygote_control;  // the zygote's channel to the broker: closed first
  pid_t zygote_pid;         // the parent we must die with
  st::AppFunction app;
  std::size_t max_message_bytes;
  const sandbox::PreparedSandbox* sandbox;  // the zygote's, compiled before the fork
  int sandbox_slot;                         // picks the worker's own uid
};

// Runs in the child right after fork(); never returns. Puts the session
// socket at kWorkerSessionFd and the keeper socket (if any) at
// kWorkerKeeperFd, closes every other descriptor, contains itself
// (sandbox::ContainWorker), hands the keeper socket to the cache runtime
// (worker/cache_runtime.h) and serves the session.
[[noreturn]] void BecomeWorker(WorkerStart start);

// Closes every descriptor >= `lowest`: close_range(2) first, then a walk of
// /proc/self/fd. Returns the name of the path taken, for the log.
const char* CloseDescriptorsFrom(int lowest);

}  // namespace sluice::worker
