// The worker's sandbox as one checklist (nsjail's containProc is the model):
// what the zygote prepares once, and what each freshly forked worker applies
// to itself right after its descriptors are closed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sandbox/denials.h"
#include "sandbox/level.h"
#include "sandbox/limits.h"
#include "sandbox/seccomp_policy.h"

namespace sluice::sandbox {

// Where contained processes write their denial reports: descriptor numbers
// (write ends of pipes only the reaper reads); -1: nowhere.
struct DenialReportFds {
  int zygote = -1;  // the zygote's own, open while it runs
  int worker = -1;  // where each worker finds its own once its descriptors are placed
};

struct WorkerSandboxConfig {
  Level level = Level::kStrict;
  std::uint64_t memory_bytes = 0;  // --worker-memory-mb; 0: no bound
  absl::Duration rerun_timeout = absl::Seconds(60);
};

// Made once in the zygote, before any fork; read-only afterwards.
class PreparedSandbox {
 public:
  // Compiles the seccomp filter (unless the level is off) and measures the
  // address space workers will inherit; call when the zygote is otherwise
  // ready. `reports` says where the zygote and each worker write their
  // denial reports (sandbox/denials.h).
  static absl::StatusOr<PreparedSandbox> Prepare(const WorkerSandboxConfig& config,
                                                 DenialReportFds reports);

  const WorkerSandboxConfig& config() const { return config_; }
  // The worker policy, whole; and split for a contained zygote (seccomp_policy.h).
  const CompiledFilter& filter() const { return filter_; }
  const CompiledFilter& zygote_filter() const { return zygote_filter_; }
  const CompiledFilter& worker_over_zygote_filter() const { return worker_over_zygote_filter_; }
  // True once ContainZygote loaded the zygote's filter into this process:
  // its workers inherit it and stack only the short one.
  bool zygote_contained() const { return zygote_contained_; }
  const DenialReportFds& denial_reports() const { return denial_reports_; }
  // The zygote's address space when it was prepared: what a worker inherits.
  std::optional<std::uint64_t> inherited_bytes() const { return inherited_bytes_; }
  // The rlimits each worker sets, worked out from the above.
  const WorkerLimits& worker_limits() const { return worker_limits_; }
  // What the worker's watchdog and seccomp steps log as their paths, made
  // here so that a new worker does not format them.
  const std::string& watchdogs_how() const { return watchdogs_how_; }
  const std::string& seccomp_how() const { return seccomp_how_; }

 private:
  friend void ContainZygote(PreparedSandbox& sandbox);

  WorkerSandboxConfig config_;
  CompiledFilter filter_;
  CompiledFilter zygote_filter_;
  CompiledFilter worker_over_zygote_filter_;
  bool zygote_contained_ = false;
  DenialReportFds denial_reports_;
  std::optional<std::uint64_t> inherited_bytes_;
  WorkerLimits worker_limits_;
  std::string watchdogs_how_;
  std::string seccomp_how_;
};

// In the zygote, once it is ready to fork (unless the level is off):
// no supplementary groups (when root: workers would drop them each), no_new_privs,
// the SIGSYS handler, and the zygote's filter, which every worker inherits. A step that fails ends
// the process (exit code 1).
void ContainZygote(PreparedSandbox& sandbox);

// Runs in the worker right after fork() and the closing of its descriptors,
// single-threaded. `slot` picks the worker's own uid (sandbox/credentials.h);
// `parent` is the zygote, which must still be the worker's parent then.
// Each step logs which path it took (at debug level); a step that fails
// ends the process (exit code 1): a worker is never left half-contained.
void ContainWorker(const PreparedSandbox& sandbox, int slot, pid_t parent);

}  // namespace sluice::sandbox
