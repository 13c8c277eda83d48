#include "sandbox/namespaces.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "util/strings.h"

namespace sluice::sandbox {

int ZygoteCloneFlags() { return CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC; }

absl::Status ProbeNamespaces() {
  long pid = ::syscall(SYS_clone, ZygoteCloneFlags() | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid < 0) {
    return absl::FailedPreconditionError(
        StrCat("cannot make pid, network, mount and IPC namespaces: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // The same first steps the zygote takes (sandbox/mount_view.cc).
    bool ok = ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
              ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(static_cast<pid_t>(pid), &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::FailedPreconditionError("cannot mount inside new namespaces");
  }
  return absl::OkStatus();
}

bool InOwnPidNamespace() { return ::getpid() == 1 && ::getppid() == 0; }

}  // namespace sluice::sandbox
