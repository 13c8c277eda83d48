// Ends a worker whose run does not end: a CPU-time timer (ITIMER_PROF)
// armed for each run, which exits the worker with kExitRerunTimeout
// (sandbox/exit_codes.h) even when the app loops without calling st::. And
// ends a worker whose memory ran out (operator new failed under the
// RLIMIT_AS of --worker-memory-mb) with kExitOutOfMemory. The broker turns
// both into a message on the session's page.
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace sluice::sandbox {

// Installs both handlers in the calling worker. `rerun_timeout` of zero:
// runs are not timed.
absl::Status InstallWatchdogs(absl::Duration rerun_timeout);

// Around each run of the app. Cheap (one setitimer each).
void ArmRunWatchdog();
void DisarmRunWatchdog();

}  // namespace sluice::sandbox
