#include "util/signal_fd.h"

#include <signal.h>
#include <sys/signalfd.h>

#include <cerrno>

#include "util/log.h"

namespace sluice {

UniqueFd BlockIntoSignalFd(std::initializer_list<int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int signal : signals) sigaddset(&mask, signal);
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
    LogSyscallError("sigprocmask", errno);
    return UniqueFd();
  }
  int fd = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    LogSyscallError("signalfd", errno);
    return UniqueFd();
  }
  return UniqueFd(fd);
}

}  // namespace sluice
