// Memory figures of a worker, read from /proc by its broker-side pid (at
// --sandbox=strict workers live in the zygote's pid namespace, but the
// broker's /proc lists them under the pid the ZygoteHost hands out).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace sluice::broker {

struct WorkerMemory {
  std::optional<std::uint64_t> rss_kb;       // VmRSS: resident now
  std::optional<std::uint64_t> peak_rss_kb;  // VmHWM: the most it was ever resident
  // Proportional set size (smaps_rollup): resident pages, each shared page
  // divided among its sharers; what a worker really adds next to its zygote
  // siblings. Costs a walk of its mappings, so only for the admin listing.
  std::optional<std::uint64_t> pss_kb;
};

// The figures of `pid`, each nullopt if the process is gone (a crashed
// worker is reaped before the broker hears of it) or /proc is unreadable.
WorkerMemory ReadWorkerMemory(pid_t pid, bool with_pss);

}  // namespace sluice::broker
