#include "tests/shm_cache/forked_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>

#include "util/strings.h"

namespace sluice::shm_cache::testing {

namespace {

absl::Status Errno(std::string_view call) {
  return absl::InternalError(StrCat(call, ": ", std::strerror(errno)));
}

// Milliseconds left until `deadline`, for poll().
int MillisecondsUntil(sluice::testing::Deadline deadline) {
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - sluice::testing::Clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
}

}  // namespace

absl::StatusOr<ForkedChild> ForkedChild::Start(const std::function<int()>& body) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) _exit(125);
    int code = 126;
    try {
      code = body();
    } catch (...) {
      std::fputs("forked child: uncaught exception\n", stderr);
    }
    _exit(code);
  }
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    absl::Status status = Errno("pidfd_open");
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return status;
  }
  return ForkedChild(pid, std::move(pidfd));
}

ForkedChild::ForkedChild(ForkedChild&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      reaped_(std::exchange(other.reaped_, true)) {}

ForkedChild::~ForkedChild() {
  if (pid_ <= 0 || reaped_) return;
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

absl::Status ForkedChild::Kill(int signal) {
  if (reaped_) return absl::FailedPreconditionError("the child was reaped already");
  if (::kill(pid_, signal) != 0) return Errno("kill");
  return absl::OkStatus();
}

absl::StatusOr<int> ForkedChild::Wait(sluice::testing::Deadline deadline) {
  if (reaped_) return absl::FailedPreconditionError("the child was reaped already");
  for (;;) {
    pollfd ready{pidfd_.get(), POLLIN, 0};
    int n = ::poll(&ready, 1, MillisecondsUntil(deadline));
    if (n < 0 && errno != EINTR) return Errno("poll(pidfd)");
    if (n > 0) break;
    if (n == 0 && sluice::testing::Clock::now() >= deadline) {
      return absl::DeadlineExceededError(StrCat("child ", pid_, " is still running"));
    }
  }
  int status = 0;
  pid_t reaped;
  while ((reaped = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  if (reaped != pid_) return Errno("waitpid");
  reaped_ = true;
  return status;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return StrCat("exited with ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return StrCat("killed by signal ", WTERMSIG(status), " (", ::strsignal(WTERMSIG(status)), ")");
  }
  return StrCat("wait status ", status);
}

absl::StatusOr<Pipe> Pipe::Create() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Errno("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

bool WriteAll(int fd, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

absl::Status ReadExactly(int fd, std::span<std::byte> bytes, sluice::testing::Deadline deadline) {
  while (!bytes.empty()) {
    pollfd ready{fd, POLLIN, 0};
    int n = ::poll(&ready, 1, MillisecondsUntil(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("poll");
    if (n == 0) {
      if (sluice::testing::Clock::now() >= deadline) {
        return absl::DeadlineExceededError("nothing to read before the deadline");
      }
      continue;
    }
    ssize_t got = ::read(fd, bytes.data(), bytes.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Errno("read");
    if (got == 0) return absl::NotFoundError("the writer closed the pipe");
    bytes = bytes.subspan(static_cast<std::size_t>(got));
  }
  return absl::OkStatus();
}

}  // namespace sluice::shm_cache::testing
