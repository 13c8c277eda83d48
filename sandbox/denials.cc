#include "sandbox/denials.h"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "util/strings.h"

namespace sluice::sandbox {

namespace {

constexpr std::size_t kPageBytes = 4096;

DenialCounters* g_counters = nullptr;

// si_code of a SIGSYS raised by a seccomp filter (SYS_SECCOMP in
// <asm-generic/siginfo.h>, which clashes with glibc's <signal.h>).
constexpr int kSysSeccomp = 1;

absl::Status Errno(std::string_view call, int err) {
  return absl::InternalError(StrCat(call, ": ", std::strerror(err)));
}

DenialCounters* MapShared(int fd) {
  void* data = ::mmap(nullptr, kPageBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return data == MAP_FAILED ? nullptr : static_cast<DenialCounters*>(data);
}

// The kernel stopped the call before it ran; the return value register is
// what the caller will see as the call's result.
void OnSigsys(int, siginfo_t* info, void* context) {
  if (info->si_code != kSysSeccomp) return;
  auto* uc = static_cast<ucontext_t*>(context);
#if defined(__x86_64__)
  uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
  uc->uc_mcontext.regs[0] = static_cast<unsigned long long>(-EPERM);
#else
#error "set the syscall return register for this architecture"
#endif
  if (g_counters != nullptr) g_counters->denied_syscalls.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

absl::StatusOr<DenialPage> DenialPage::Create() {
  UniqueFd fd(::memfd_create("sluice-sandbox-counters", MFD_CLOEXEC));
  if (!fd) return Errno("memfd_create", errno);
  if (::ftruncate(fd.get(), kPageBytes) != 0) return Errno("ftruncate", errno);
  DenialPage page;
  page.counters_ = MapShared(fd.get());
  if (page.counters_ == nullptr) return Errno("mmap", errno);
  page.fd_ = std::move(fd);
  return page;
}

absl::StatusOr<DenialPage> DenialPage::Map(UniqueFd fd) {
  DenialPage page;
  page.counters_ = MapShared(fd.get());
  if (page.counters_ == nullptr) return Errno("mmap", errno);
  return page;
}

DenialPage::DenialPage(DenialPage&& other) noexcept
    : fd_(std::move(other.fd_)), counters_(std::exchange(other.counters_, nullptr)) {}

DenialPage& DenialPage::operator=(DenialPage&& other) noexcept {
  if (this != &other) {
    if (counters_ != nullptr) ::munmap(counters_, kPageBytes);
    fd_ = std::move(other.fd_);
    counters_ = std::exchange(other.counters_, nullptr);
  }
  return *this;
}

DenialPage::~DenialPage() {
  if (counters_ != nullptr) ::munmap(counters_, kPageBytes);
}

absl::Status InstallDenialHandler(DenialCounters* counters) {
  g_counters = counters;
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
