#include "worker/become_worker.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "util/log.h"
#include "worker/session.h"

namespace sluice::worker {

namespace {

constexpr int kSessionFd = 3;

void DieWithParent(pid_t expected_parent) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    LogSyscallError("prctl(PR_SET_PDEATHSIG)", errno);
    _exit(1);
  }
  // The parent may have died between fork() and prctl(): then nobody would
  // ever send the signal, so check by hand.
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

void KeepOnlySessionFd(UniqueFd session_fd) {
  if (session_fd.get() != kSessionFd) {
    if (::dup2(session_fd.get(), kSessionFd) < 0) {
      LogSyscallError("dup2", errno, {{"fd", session_fd.get()}});
      _exit(1);
    }
    session_fd.reset();
  } else {
    session_fd.release();
  }
  LogDebug("fds_closed", {{"method", CloseDescriptorsFrom(kSessionFd + 1)}});
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
  DieWithParent(start.zygote_pid);
  ResetSignals();
  SetLogProcess("worker");
  ::prctl(PR_SET_NAME, "sluice-worker");
  KeepOnlySessionFd(std::move(start.session_fd));
  ServeSession(UniqueFd(kSessionFd), start.app, start.max_message_bytes);
}

}  // namespace sluice::worker
