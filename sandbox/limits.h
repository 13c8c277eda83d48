// Resource limits of a worker (setrlimit): no core files, few descriptors,
// and a bound on the address space it may add to what it inherits.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace sluice::sandbox {

// Descriptors a worker may hold: its sockets, stdio and a few memfds while
// it publishes cache values.
inline constexpr std::uint64_t kWorkerMaxFds = 256;

// The address space the calling process has mapped (/proc/self/statm, the
// figure RLIMIT_AS bounds); nullopt if it cannot be read.
std::optional<std::uint64_t> MappedBytes();

// The limits every worker sets on itself, worked out once in the zygote so
// that a new worker only makes the calls: RLIMIT_CORE = 0; RLIMIT_NOFILE =
// kWorkerMaxFds (or the inherited hard limit, if lower); RLIMIT_AS =
// `inherited_bytes` + `memory_bytes` (0: no bound; nor without
// `inherited_bytes`). The budget comes on top of what the worker inherits
// from the zygote because that already holds the cache arena's mapping, the
// app and its libraries and, under AddressSanitizer, terabytes of reserved
// shadow. The zygote measures it once (MappedBytes) rather than each worker
// reading /proc.
struct WorkerLimits {
  struct Limit {
    int resource;
    const char* name;
    rlim_t value;  // soft and hard
  };
  std::vector<Limit> limits;
  std::string how;  // what is set, for the log
};
WorkerLimits PlanWorkerLimits(std::uint64_t memory_bytes,
                              std::optional<std::uint64_t> inherited_bytes);

// Sets `limits` on the calling process.
absl::Status ApplyWorkerLimits(const WorkerLimits& limits);

}  // namespace sluice::sandbox
