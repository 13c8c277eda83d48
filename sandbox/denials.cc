#include "sandbox/denials.h"

#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "util/strings.h"

namespace sluice::sandbox {

namespace {

std::atomic<int> g_report_fd{-1};

// si_code of a SIGSYS raised by a seccomp filter (SYS_SECCOMP in
// <asm-generic/siginfo.h>, which clashes with glibc's <signal.h>).
constexpr int kSysSeccomp = 1;

absl::Status Errno(std::string_view call, int err) {
  return absl::InternalError(StrCat(call, ": ", std::strerror(err)));
}

// The kernel stopped the call before it ran; the return value register is
// what the caller will see as the call's result.
void OnSigsys(int, siginfo_t* info, void* context) {
  if (info->si_code != kSysSeccomp) return;
  int saved_errno = errno;
  auto* uc = static_cast<ucontext_t*>(context);
#if defined(__x86_64__)
  uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
  uc->uc_mcontext.regs[0] = static_cast<unsigned long long>(-EPERM);
#else
#error "set the syscall return register for this architecture"
#endif
  int fd = g_report_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    DenialReport report{info->si_syscall};
    // 4 bytes into a pipe: all or nothing. Nothing (a full pipe) loses
    // only this report.
    (void)!::write(fd, &report, sizeof(report));
  }
  errno = saved_errno;
}

}  // namespace

void ReportDenialsTo(int report_fd) { g_report_fd.store(report_fd, std::memory_order_relaxed); }

absl::Status InstallDenialHandler(int report_fd) {
  ReportDenialsTo(report_fd);
  struct sigaction action {};
  action.sa_sigaction = OnSigsys;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGSYS, &action, nullptr) != 0) return Errno("sigaction(SIGSYS)", errno);
  sigset_t sys;
  sigemptyset(&sys);
  sigaddset(&sys, SIGSYS);
  if (::sigprocmask(SIG_UNBLOCK, &sys, nullptr) != 0) return Errno("sigprocmask", errno);
  return absl::OkStatus();
}

}  // namespace sluice::sandbox
