#include "worker/become_worker.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "util/log.h"
#include "worker/cache_runtime.h"
#include "worker/session.h"

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

// Leaves open only stdio, the session socket and the keeper socket.
// Returns whether there is a keeper socket.
bool KeepOnlyWorkerFds(UniqueFd session_fd, UniqueFd keeper_fd) {
  // Lift both out of the way first: either may sit on the other's place.
  UniqueFd session(::fcntl(session_fd.get(), F_DUPFD_CLOEXEC, kWorkerKeeperFd + 1));
  UniqueFd keeper;
  if (keeper_fd) keeper.reset(::fcntl(keeper_fd.get(), F_DUPFD_CLOEXEC, kWorkerKeeperFd + 1));
  if (!session || (keeper_fd && !keeper)) {
    LogSyscallError("fcntl(F_DUPFD_CLOEXEC)", errno);
    _exit(1);
  }
  session_fd.reset();
  keeper_fd.reset();
  Place(std::move(session), kWorkerSessionFd);
  bool has_keeper = keeper.valid();
  if (has_keeper) Place(std::move(keeper), kWorkerKeeperFd);
  int first_closed = has_keeper ? kWorkerKeeperFd + 1 : kWorkerSessionFd + 1;
  LogDebug("fds_closed", {{"method", CloseDescriptorsFrom(first_closed)}, {"keeper", has_keeper}});
  return has_keeper;
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
  CheckParent(start.zygote_pid);
  ResetSignals();
  SetLogProcess("worker");
  ::prctl(PR_SET_NAME, "sluice-worker");
  bool has_keeper = KeepOnlyWorkerFds(std::move(start.session_fd), std::move(start.keeper_fd));
  sandbox::ContainWorker(*start.sandbox, start.sandbox_slot, start.zygote_pid);
  AttachKeeper(has_keeper ? UniqueFd(kWorkerKeeperFd) : UniqueFd());
  ServeSession(UniqueFd(kWorkerSessionFd), start.app, start.max_message_bytes);
}

}  // namespace sluice::worker
