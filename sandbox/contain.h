// The worker's sandbox as one checklist (nsjail's containProc is the model):
// what the zygote prepares once, and what each freshly forked worker applies
// to itself right after its descriptors are closed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sandbox/denials.h"
#include "sandbox/level.h"
#include "sandbox/seccomp_policy.h"

namespace sluice::sandbox {

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
  // ready. `counters`, if
  // not null, is the shared page that counts denials; it must outlive every
  // worker.
  static absl::StatusOr<PreparedSandbox> Prepare(const WorkerSandboxConfig& config,
                                                 DenialCounters* counters);

  const WorkerSandboxConfig& config() const { return config_; }
  const CompiledFilter& filter() const { return filter_; }
  DenialCounters* counters() const { return counters_; }
  // The zygote's address space when it was prepared: what a worker inherits.
  std::optional<std::uint64_t> inherited_bytes() const { return inherited_bytes_; }

 private:
  WorkerSandboxConfig config_;
  CompiledFilter filter_;
  DenialCounters* counters_ = nullptr;
  std::optional<std::uint64_t> inherited_bytes_;
};

// Runs in the worker right after fork() and the closing of its descriptors,
// single-threaded. `slot` picks the worker's own uid (sandbox/credentials.h);
// `parent` is the zygote, whose death must still end the worker once its
// ids changed (which clears PR_SET_PDEATHSIG).
// Each step logs which path it took (at debug level); a step that fails
// ends the process (exit code 1): a worker is never left half-contained.
void ContainWorker(const PreparedSandbox& sandbox, int slot, pid_t parent);

}  // namespace sluice::sandbox
