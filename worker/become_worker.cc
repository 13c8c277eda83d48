#include "worker/become_worker.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <vector>

#include "runtime/app_runner.h"
#include "runtime/cache_runtime.h"
#include "sandbox/denials.h"
#include "sandbox/watchdog.h"
#include "util/log.h"
#include "worker/broker_channel.h"
#include "worker/idle_memory.h"
#include "worker/warm_heap.h"

namespace sluice::worker {

namespace {

// No parent-death signal: a worker outlives a crashing zygote, and the
// zygote's parent, the reaper (worker/reaper.h), ends it when the broker
// dies. A zygote that died before the worker got here leaves nobody who
// would report its fork to the broker, though: give up then.
void CheckParent(pid_t expected_parent) {
  if (::getppid() != expected_parent) _exit(1);
}

void ResetSignals() {
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) {
    LogSyscallError("sigprocmask", errno);
    _exit(1);
  }
  ::signal(SIGCHLD, SIG_DFL);
  ::signal(SIGPIPE, SIG_IGN);  // writes report EPIPE instead
}

// Moves `fd` to descriptor number `at` (closing `fd`).
void Place(UniqueFd fd, int at) {
  if (::dup2(fd.get(), at) < 0) {
    LogSyscallError("dup2", errno, {{"fd", fd.get()}, {"to", at}});
    _exit(1);
  }
}

// Where the worker's own stdin, stdout and stderr wait while it contains
// itself with the broker's still on 0-2 (so a failing step logs as usual).
constexpr int kStagedStdin = 6;
constexpr int kStagedStdout = 7;
constexpr int kStagedStderr = 8;

// Leaves open only the broker's stdio and the descriptors of `start`, each
// at its place (a place without one is closed).
void KeepOnlyWorkerFds(WorkerStart& start) {
  struct Move {
    UniqueFd* fd;
    int at;
  };
  Move moves[] = {{&start.session_fd, kWorkerSessionFd}, {&start.keeper_fd, kWorkerKeeperFd},
                  {&start.denials_fd, kWorkerDenialsFd}, {&start.stdin_fd, kStagedStdin},
                  {&start.stdout_fd, kStagedStdout},     {&start.stderr_fd, kStagedStderr}};
  // Lift them all out of the way first: any may sit on another's place.
  UniqueFd lifted[std::size(moves)];
  for (std::size_t i = 0; i < std::size(moves); ++i) {
    if (!moves[i].fd->valid()) continue;
    lifted[i].reset(::fcntl(moves[i].fd->get(), F_DUPFD_CLOEXEC, kStagedStderr + 1));
    if (!lifted[i]) {
      LogSyscallError("fcntl(F_DUPFD_CLOEXEC)", errno, {{"fd", moves[i].fd->get()}});
      _exit(1);
    }
    moves[i].fd->reset();
  }
  for (std::size_t i = 0; i < std::size(moves); ++i) {
    if (lifted[i]) {
      Place(std::move(lifted[i]), moves[i].at);
    } else {
      ::close(moves[i].at);  // whatever of the zygote's sat there
    }
  }
  LogDebug("fds_closed", {{"method", CloseDescriptorsFrom(kStagedStderr + 1)}});
}

// After containment, before any app code: 0-2 become the worker's own, and
// the broker's open file descriptions are gone from this process.
void TakeOwnStdio() {
  if (::dup2(kStagedStdin, STDIN_FILENO) < 0 || ::dup2(kStagedStdout, STDOUT_FILENO) < 0 ||
      ::dup2(kStagedStderr, STDERR_FILENO) < 0) {
    LogSyscallError("dup2", errno);
    _exit(1);
  }
  for (int fd : {kStagedStdin, kStagedStdout, kStagedStderr}) ::close(fd);
  // A pipe would make stdout fully buffered: a printed line would show up
  // in the log only kilobytes later.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
}

}  // namespace

const char* CloseDescriptorsFrom(int lowest) {
  if (::close_range(static_cast<unsigned>(lowest), ~0U, 0) == 0) return "close_range";
  std::vector<int> open;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (dirent* entry = ::readdir(dir)) {
      int fd = std::atoi(entry->d_name);
      if (fd >= lowest && fd != ::dirfd(dir)) open.push_back(fd);
    }
    ::closedir(dir);
    for (int fd : open) ::close(fd);
    return "proc_self_fd";
  }
  for (int fd = lowest; fd < 65536; ++fd) ::close(fd);
  return "close_loop";
}

void BecomeWorker(WorkerStart start) {
  // Whoever holds the zygote's channel can fork and kill workers.
  start.zygote_control.reset();
  // Its inherited handler would report into the zygote's descriptor number.
  sandbox::ReportDenialsTo(-1);
  CheckParent(start.zygote_pid);
  ResetSignals();
  SetLogProcess("worker");
  ::prctl(PR_SET_NAME, "sluice-worker");
  bool has_keeper = start.keeper_fd.valid();
  if (!start.stdin_fd || !start.stdout_fd || !start.stderr_fd) _exit(1);
  KeepOnlyWorkerFds(start);
  sandbox::ContainWorker(*start.sandbox, start.sandbox_slot, start.zygote_pid);
  TakeOwnStdio();
  runtime::AttachKeeper(has_keeper ? UniqueFd(kWorkerKeeperFd) : UniqueFd());
  WarmHeap(start.warm_heap_bytes, kWorkerSessionFd);
  BrokerChannel channel(UniqueFd(kWorkerSessionFd), start.max_message_bytes);
  runtime::AppRunner runner(channel, start.app,
                            {.before_run = sandbox::ArmRunWatchdog,
                             .after_run = sandbox::DisarmRunWatchdog,
                             .when_idle = GiveBackIdleMemory,
                             .idle_after = start.idle_trim_after});
  runner.Serve();
}

}  // namespace sluice::worker
