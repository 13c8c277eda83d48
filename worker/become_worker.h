// What a freshly forked child of the zygote does to become one session's
// worker. The sandbox (sandbox/contain.h) is a step of this checklist, right
// after the descriptors are closed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>

#include "sandbox/contain.h"
#include "sluice/app.hpp"
#include "util/unique_fd.h"

namespace sluice::worker {

// Where a worker finds its descriptors. 0-2 are its own: stdin is
// /dev/null, stdout and stderr are pipes the reaper reads
// (worker/output_reader.h); nothing it holds is the broker's.
inline constexpr int kWorkerSessionFd = 3;
inline constexpr int kWorkerKeeperFd = 4;   // only while the shared cache is on
inline constexpr int kWorkerDenialsFd = 5;  // its SIGSYS handler's reports (sandbox/denials.h)

struct WorkerStart {
  UniqueFd session_fd;      // the worker's end of its session socket
  UniqueFd keeper_fd;       // its end of the cache keeper socket; invalid: cache off
  UniqueFd zygote_control;  // the zygote's channel to the broker: closed first
  UniqueFd stdin_fd;        // /dev/null
  UniqueFd stdout_fd;       // write ends of its output pipes
  UniqueFd stderr_fd;
  UniqueFd denials_fd;  // write end of its denial-report pipe
  pid_t zygote_pid;     // the parent we must die with
  st::AppFunction app;
  std::size_t max_message_bytes;
  const sandbox::PreparedSandbox* sandbox;       // the zygote's, compiled before the fork
  int sandbox_slot;                              // picks the worker's own uid
  std::size_t warm_heap_bytes = 0;               // worker/warm_heap.h
  std::chrono::milliseconds idle_trim_after{0};  // worker/idle_memory.h; 0: never
};

// Runs in the child right after fork(); never returns. Puts the session
// socket at kWorkerSessionFd, the keeper socket (if any) at kWorkerKeeperFd
// and the denial pipe at kWorkerDenialsFd, closes every other descriptor but
// the broker's stdio, contains itself (sandbox::ContainWorker; its steps
// still log to the broker's stderr, as trusted code), then swaps in its own
// stdin, stdout and stderr before any app code runs, hands the keeper socket
// to the cache runtime (runtime/cache_runtime.h) and serves the session,
// giving back its free memory whenever that goes idle (worker/idle_memory.h).
[[noreturn]] void BecomeWorker(WorkerStart start);

// Closes every descriptor >= `lowest`: close_range(2) first, then a walk of
// /proc/self/fd. Returns the name of the path taken, for the log.
const char* CloseDescriptorsFrom(int lowest);

}  // namespace sluice::worker
