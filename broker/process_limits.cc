#include "broker/process_limits.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "util/log.h"

namespace sluice::broker {

namespace {

// Descriptors the broker holds besides its sessions: listener, zygote and
// keeper channels, signal pipe, epoll, the odd HTTP request.
constexpr std::int64_t kFixedDescriptors = 64;
// Per session, in the process that holds the most: the broker holds two
// (the page's connection, the worker's socket), the zygote's reaper three
// (the worker's stdout, stderr and denial-report pipes). All inherit the
// limit raised here.
constexpr std::int64_t kDescriptorsPerSession = 3;

std::int64_t AsCount(rlim_t limit) {
  return limit == RLIM_INFINITY ? INT64_MAX : static_cast<std::int64_t>(limit);
}

}  // namespace

void EnsureStandardDescriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() returns the lowest free number, which is `fd` here since the
    // lower ones are open already.
    int opened = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened < 0) continue;  // nowhere to report it: stderr is what is missing
    if (opened != fd) {
      ::dup2(opened, fd);
      ::close(opened);
    }
  }
}

void RaiseOpenFileLimit(int workers, int prefork) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    LogSyscallError("getrlimit(RLIMIT_NOFILE)", errno);
    return;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlim_t before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      LogSyscallError("setrlimit(RLIMIT_NOFILE)", errno, {{"soft", AsCount(limit.rlim_max)}});
      limit.rlim_cur = before;
    } else {
      LogInfo("open_file_limit_raised",
              {{"from", AsCount(before)}, {"to", AsCount(limit.rlim_cur)}});
    }
  }
  // A warm worker (--prefork) holds what a live session holds.
  std::int64_t needed =
      kFixedDescriptors + kDescriptorsPerSession * (std::int64_t{workers} + prefork);
  if (AsCount(limit.rlim_cur) < needed) {
    LogWarning("open_file_limit_low",
               {{"limit", AsCount(limit.rlim_cur)},
                {"workers", workers},
                {"prefork", prefork},
                {"needed", needed},
                {"hint",
                 "each session holds 2 descriptors in the broker and 3 in its zygote's reaper: "
                 "raise the hard limit "
                 "(systemd LimitNOFILE=, ulimit -Hn) or lower --workers (and --prefork); past the "
                 "limit new "
                 "sessions fail to start, or their output is not logged"}});
  }
}

}  // namespace sluice::broker
