// What a freshly forked child of the zygote does to become one session's
// worker. The sandbox (sandbox/, its own issue) slots in as a step of this
// checklist, right after the descriptors are closed.
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "sluice/app.hpp"
#include "util/unique_fd.h"

namespace sluice::worker {

struct WorkerStart {
  UniqueFd session_fd;      // the worker's end of its session socket
  UniqueFd zygote_control;  // the zygote's channel to the broker: closed first
  pid_t zygote_pid;         // the parent we must die with
  st::AppFunction app;
  std::size_t max_message_bytes;
};

// Runs in the child right after fork(); never returns.
[[noreturn]] void BecomeWorker(WorkerStart start);

// Closes every descriptor >= `lowest`: close_range(2) first, then a walk of
// /proc/self/fd. Returns the name of the path taken, for the log.
const char* CloseDescriptorsFrom(int lowest);

}  // namespace sluice::worker
