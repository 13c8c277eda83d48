// The workers' system call allowlist. The policy is a declarative table
// (seccomp_policy.cc); libseccomp compiles it to BPF once, in the zygote,
// and each worker only loads the ready program, which costs one prctl.
//
// A call outside the table traps (SECCOMP_RET_TRAP): the worker's SIGSYS
// handler (sandbox/denials.h) makes it fail with EPERM and counts it. A call
// made through another architecture's ABI (x32, i386 int 0x80) kills the
// process: nothing a worker does legitimately uses one, and the table does
// not describe them.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace sluice::sandbox {

// What the tables write for "the pid of the process that loads the
// filter" (a worker may signal only itself); LoadFilter() puts the real pid
// there. Compiling once and patching a word keeps a new worker from
// compiling a filter of its own.
inline constexpr std::uint32_t kOwnPidPlaceholder = 0x51ce0fd0;

struct CompiledFilter {
  std::vector<sock_filter> program;
  int rules = 0;  // table entries that exist on this architecture
  // Instructions whose constant is kOwnPidPlaceholder.
  std::vector<std::size_t> own_pid_at;
};

// Compiles the worker policy. Call once, in the zygote.
absl::StatusOr<CompiledFilter> CompileWorkerFilter();

// Attaching a filter costs a process time that grows with the filter's
// length (the kernel runs it for every syscall number to build its action
// cache): ~0.13 ms for the worker policy, a tenth of a session start. So a
// contained zygote loads the policy once for everyone, widened by what only
// the zygote needs (fork, reaping and killing its children, and the steps of
// a new worker's checklist), and each worker stacks a short filter that
// refuses exactly those additions. Together the two allow what the worker
// policy allows, and nothing more.
absl::StatusOr<CompiledFilter> CompileZygoteFilter();
absl::StatusOr<CompiledFilter> CompileWorkerOverZygoteFilter();

// Installs `filter` on the calling process (all of it must be
// single-threaded), with `own_pid` (the caller's getpid(), as its own pid
// namespace numbers it) as the one process it may signal.
// REQUIRES: no_new_privs is set, and the SIGSYS handler is installed.
absl::Status LoadFilter(const CompiledFilter& filter, pid_t own_pid);

}  // namespace sluice::sandbox
