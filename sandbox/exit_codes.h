// Exit codes with which a worker tells the broker why the sandbox ended it,
// so that the broker can say so on the session's page. App code could exit
// with them too; it would only mislabel its own session's end.
#pragma once

namespace sluice::sandbox {

// A run used more CPU time than --rerun-timeout (sandbox/watchdog.h).
inline constexpr int kExitRerunTimeout = 90;
// An allocation failed: the worker reached --worker-memory-mb.
inline constexpr int kExitOutOfMemory = 91;

}  // namespace sluice::sandbox
