#include "sandbox/contain.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "sandbox/credentials.h"
#include "sandbox/limits.h"
#include "sandbox/watchdog.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::sandbox {

namespace {

// Ends one checklist step: its failure ends the process; otherwise the
// path it took is logged with how long it took (since the step before), so
// an operator can see what the sandbox costs a new worker.
class Checklist {
 public:
  void Step(std::string_view step, const absl::Status& status, std::string_view how) {
    auto now = std::chrono::steady_clock::now();
    if (!status.ok()) {
      LogError("sandbox_step_failed", {{"step", step}, {"error", status.message()}});
      ::_exit(1);
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - since_).count();
    LogDebug("sandbox_step", {{"step", step}, {"path", how}, {"us", us}});
    since_ = std::chrono::steady_clock::now();  // not counting the log line
  }

 private:
  std::chrono::steady_clock::time_point since_ = std::chrono::steady_clock::now();
};

absl::Status Errno(const char* call) {
  return absl::InternalError(StrCat(call, ": ", std::strerror(errno)));
}

// A process group of its own: kill(0, ...), the one kill the seccomp policy
// allows, reaches only itself. Not a session of its own (setsid): with
// sched_autogroup that would also make each worker its own scheduling
// group, which costs time to create and lengthens the tail of reruns.
absl::Status OwnProcessGroup() {
  return ::setpgid(0, 0) != 0 ? Errno("setpgid") : absl::OkStatus();
}

absl::Status NoNewPrivileges() {
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ? Errno("prctl(PR_SET_NO_NEW_PRIVS)")
                                                       : absl::OkStatus();
}

// No core dumps, and /proc/PID files owned by root: nobody but root may
// ptrace the worker or read its memory, whatever its uid.
absl::Status NotDumpable() {
  return ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 ? Errno("prctl(PR_SET_DUMPABLE)")
                                                   : absl::OkStatus();
}

// A worker outlives its zygote on purpose (worker/reaper.h: the zygote's
// parent ends the workers when the broker dies), so no parent-death signal;
// but one whose zygote died before it was even contained is not wanted.
absl::Status CheckParent(pid_t parent) {
  if (::getppid() != parent) return absl::AbortedError("the zygote is gone");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PreparedSandbox> PreparedSandbox::Prepare(const WorkerSandboxConfig& config,
                                                         DenialReportFds reports) {
  PreparedSandbox prepared;
  prepared.config_ = config;
  prepared.denial_reports_ = reports;
  if (config.level != Level::kOff) {
    absl::StatusOr<CompiledFilter> filter = CompileWorkerFilter();
    if (!filter.ok()) return filter.status();
    prepared.filter_ = *std::move(filter);
    absl::StatusOr<CompiledFilter> zygote = CompileZygoteFilter();
    if (!zygote.ok()) return zygote.status();
    prepared.zygote_filter_ = *std::move(zygote);
    absl::StatusOr<CompiledFilter> over = CompileWorkerOverZygoteFilter();
    if (!over.ok()) return over.status();
    prepared.worker_over_zygote_filter_ = *std::move(over);
  }
  prepared.inherited_bytes_ = MappedBytes();
  prepared.worker_limits_ = PlanWorkerLimits(config.memory_bytes, prepared.inherited_bytes_);
  prepared.watchdogs_how_ = StrCat("rerun_cpu_", absl::FormatDuration(config.rerun_timeout));
  prepared.seccomp_how_ = StrCat("bpf_", prepared.filter_.program.size(), "_insns");
  return prepared;
}

void ContainZygote(PreparedSandbox& sandbox) {
  if (sandbox.config().level == Level::kOff) return;
  Checklist checklist;
  checklist.Step("zygote_groups", DropSupplementaryGroups(), "setgroups_when_root");
  checklist.Step("zygote_no_new_privs", NoNewPrivileges(), "prctl");
  checklist.Step("zygote_denial_handler", InstallDenialHandler(sandbox.denial_reports().zygote),
                 sandbox.denial_reports().zygote >= 0 ? "sigsys_reported" : "sigsys");
  checklist.Step("zygote_seccomp", LoadFilter(sandbox.zygote_filter(), ::getpid()),
                 StrCat("bpf_", sandbox.zygote_filter().program.size(), "_insns"));
  sandbox.zygote_contained_ = true;
  sandbox.seccomp_how_ =
      StrCat("stacked_bpf_", sandbox.worker_over_zygote_filter().program.size(), "_insns");
}

void ContainWorker(const PreparedSandbox& sandbox, int slot, pid_t parent) {
  const WorkerSandboxConfig& config = sandbox.config();
  std::string how;
  Checklist checklist;
  checklist.Step("watchdogs", InstallWatchdogs(config.rerun_timeout), sandbox.watchdogs_how());
  if (config.level == Level::kOff) {
    LogDebug("sandbox_step", {{"step", "all"}, {"path", "off"}});
    return;
  }
  checklist.Step("process_group", OwnProcessGroup(), "setpgid");
  checklist.Step("limits", ApplyWorkerLimits(sandbox.worker_limits()), sandbox.worker_limits().how);
  // The step fills `how` itself, so it runs first.
  absl::Status dropped = DropToWorkerIds(slot, &how);
  checklist.Step("ids", dropped, how);
  checklist.Step("parent", CheckParent(parent), "getppid");
  // After the id change, which resets it.
  checklist.Step("not_dumpable", NotDumpable(), "prctl");
  checklist.Step("no_new_privs", NoNewPrivileges(), "prctl");
  checklist.Step("denial_handler", InstallDenialHandler(sandbox.denial_reports().worker),
                 sandbox.denial_reports().worker >= 0 ? "sigsys_reported" : "sigsys");
  // Under a contained zygote the policy is mostly in place already.
  const CompiledFilter& filter =
      sandbox.zygote_contained() ? sandbox.worker_over_zygote_filter() : sandbox.filter();
  checklist.Step("seccomp", LoadFilter(filter, ::getpid()), sandbox.seccomp_how());
}

}  // namespace sluice::sandbox
