#include "broker/helper_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string_view>

#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

// Above every fixed descriptor number a helper uses.
constexpr int kFirstScratchFd = 16;
constexpr std::size_t kMaxPlacements = 8;

std::string SelfPath() {
  char path[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return "sluice";
  path[n] = '\0';
  return path;
}

}  // namespace

absl::StatusOr<pid_t> StartHelper(const std::vector<std::string>& args,
                                  absl::Span<const FdPlacement> fds, int namespaces,
                                  const std::vector<std::string>& env) {
  if (fds.size() > kMaxPlacements) return absl::InvalidArgumentError("too many descriptors");
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls until exec.
  std::string self = SelfPath();
  std::vector<const char*> argv = {self.c_str()};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  std::vector<const char*> envp;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view name(*entry, std::strcspn(*entry, "="));
    bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& added) {
      return added.size() > name.size() && added.compare(0, name.size(), name) == 0 &&
             added[name.size()] == '=';
    });
    if (!replaced) envp.push_back(*entry);
  }
  for (const std::string& added : env) envp.push_back(added.c_str());
  envp.push_back(nullptr);
  FdPlacement placements[kMaxPlacements];
  std::copy(fds.begin(), fds.end(), placements);
  std::size_t count = fds.size();

  // clone(2) without a new stack returns twice like fork(); glibc's clone()
  // wrapper would want a function and a stack.
  pid_t pid = namespaces == 0 ? ::fork()
                              : static_cast<pid_t>(::syscall(SYS_clone, namespaces | SIGCHLD,
                                                             nullptr, nullptr, nullptr, 0));
  if (pid < 0) {
    return absl::InternalError(
        StrCat(namespaces == 0 ? "fork: " : "clone: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Move every descriptor out of the way first, so that placing one
    // cannot overwrite another that is still to be placed; dup2 also drops
    // close-on-exec, which the broker's copies have.
    int scratch[kMaxPlacements];
    for (std::size_t i = 0; i < count; ++i) {
      scratch[i] = ::fcntl(placements[i].fd, F_DUPFD, kFirstScratchFd);
      if (scratch[i] < 0) _exit(127);
    }
    for (std::size_t i = 0; i < count; ++i) {
      if (::dup2(scratch[i], placements[i].at) < 0) _exit(127);
      ::close(scratch[i]);
    }
    ::execve("/proc/self/exe", const_cast<char* const*>(argv.data()),
             const_cast<char* const*>(envp.data()));
    _exit(127);
  }
  return pid;
}

absl::StatusOr<ipc::Packet> ReceiveFirstPacket(int socket, std::chrono::milliseconds timeout) {
  pollfd wait{socket, POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&wait, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return absl::InternalError(StrCat("poll: ", std::strerror(errno)));
  if (ready == 0) return absl::DeadlineExceededError("no answer");
  return ipc::ReceivePacket(socket);
}

void KillAndReap(pid_t pid) {
  if (::kill(pid, SIGKILL) != 0) LogSyscallError("kill", errno, {{"target_pid", pid}});
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

std::string ReapAndDescribe(pid_t pid) {
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped != pid) return "unknown";
  if (WIFSIGNALED(status)) return StrCat("killed by signal ", WTERMSIG(status));
  return StrCat("exit code ", WEXITSTATUS(status));
}

std::string KillReapAndDescribe(pid_t pid) {
  if (::kill(pid, SIGKILL) != 0 && errno != ESRCH)
    LogSyscallError("kill", errno, {{"target_pid", pid}});
  return ReapAndDescribe(pid);
}

}  // namespace sluice::broker
