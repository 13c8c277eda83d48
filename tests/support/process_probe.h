// Questions about other processes, answered from /proc and pidfds.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/deadline.h"

namespace sluice::testing {

// True if `pid` exists and has not exited (a zombie counts as gone).
bool ProcessAlive(pid_t pid);

// Every live process below `pid` (children, their children, ...), parents
// before children.
std::vector<pid_t> DescendantsOf(pid_t pid);

// Live processes whose process group is `pgid`.
std::vector<pid_t> ProcessesInGroup(pid_t pgid);

// The whole of /proc/PID/NAME ("cmdline", "wchan", ...); empty if `pid` is
// gone, and no throw if it exits while being read (see ReadSmallFile).
std::string ReadProcFile(pid_t pid, std::string_view name);

// Live processes whose command line (arguments joined by spaces) contains
// `needle`.
std::vector<pid_t> ProcessesWithCmdline(std::string_view needle);

// A figure of /proc/PID/status given in kB, such as "VmRSS" (resident now)
// or "VmHWM" (the most it was ever resident); nullopt if `pid` is gone or
// has no such line.
std::optional<long> StatusKiB(pid_t pid, std::string_view field);

// A figure of /proc/PID/smaps_rollup, in kB: "Pss" (resident, each shared
// page divided among the processes that map it), "Rss", "Anonymous",
// "Private_Dirty", ...; nullopt if `pid` is gone or has no such line.
std::optional<long> SmapsRollupKiB(pid_t pid, std::string_view field);

// Minor page faults `pid` has taken so far (field 10 of /proc/PID/stat),
// and its state letter (field 3); nullopt if it is gone.
struct FaultCount {
  long minor = 0;
  char state = '?';
};
std::optional<FaultCount> MinorFaults(pid_t pid);

// The NSpid line of /proc/PID/status: `pid` as each pid namespace from ours
// inwards numbers it (one entry when it is in ours); empty if it is gone.
std::vector<pid_t> NamespacePids(pid_t pid);

// The process below `ancestor` that its own (innermost) pid namespace calls
// `inner_pid`: how a test finds a worker of a --sandbox=strict broker, whose
// getpid() counts in the zygote's pid namespace.
std::optional<pid_t> DescendantByInnerPid(pid_t ancestor, pid_t inner_pid);

// Waits until every process in `pids` has exited (not necessarily been
// reaped). Blocks on pidfds, not by polling. True if all exited in time.
bool WaitForExit(const std::vector<pid_t>& pids, Deadline deadline);
inline bool WaitForExit(pid_t pid, Deadline deadline) {
  return WaitForExit(std::vector<pid_t>{pid}, deadline);
}

// Re-checks `condition` until it holds or the deadline passes, backing off
// between checks; for conditions nothing can notify us about (a counter
// behind HTTP, say). Returns the last result.
bool WaitUntil(const std::function<bool()>& condition, Deadline deadline);

}  // namespace sluice::testing
