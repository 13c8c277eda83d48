// The pipes that replace a worker's stdout and stderr, and the one its
// SIGSYS handler reports denials into (sandbox/denials.h). The zygote makes
// a fresh set before each fork: the worker keeps the write ends, the reaper
// gets the read ends (worker/output_reader.h), and the zygote closes its
// copies, so each pipe joins exactly one worker to the reaper.
#pragma once

#include "absl/status/statusor.h"
#include "util/unique_fd.h"

namespace sluice::worker {

struct WorkerPipes {
  // The worker's ends. Its stdout and stderr block when full (only the
  // worker waits then); the denial end does not (a report that does not fit
  // is lost rather than stalling a signal handler).
  UniqueFd stdout_write;
  UniqueFd stderr_write;
  UniqueFd denials_write;
  // The reaper's ends, non-blocking.
  UniqueFd stdout_read;
  UniqueFd stderr_read;
  UniqueFd denials_read;
};

// All six close-on-exec. The denial pipe is made one page small: reports
// are 4 bytes and read as they come.
absl::StatusOr<WorkerPipes> MakeWorkerPipes();

// A denial-report pipe on its own (the zygote's): {read end, write end},
// both non-blocking and close-on-exec.
absl::StatusOr<std::pair<UniqueFd, UniqueFd>> MakeDenialPipe();

}  // namespace sluice::worker
