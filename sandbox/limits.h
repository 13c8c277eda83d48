// Resource limits of a worker (setrlimit): no core files, few descriptors,
// and a bound on the address space it may add to what it inherits.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace sluice::sandbox {

// Descriptors a worker may hold: its sockets, stdio and a few memfds while
// it publishes cache values.
inline constexpr std::uint64_t kWorkerMaxFds = 256;

// RLIMIT_CORE = 0; RLIMIT_NOFILE = kWorkerMaxFds (or the inherited hard
// limit, if lower); RLIMIT_AS = the address space mapped now plus
// `memory_bytes` (0: no bound). The budget is on top of what the worker
// inherits from the zygote because that already holds the cache arena's
// mapping, the app and its libraries and, under AddressSanitizer, terabytes
// of reserved shadow. `how` says how the memory bound was found, for the log.
absl::Status ApplyWorkerLimits(std::uint64_t memory_bytes, std::string* how);

}  // namespace sluice::sandbox
