#include "sandbox/seccomp_policy.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>

#include "util/strings.h"
#include "util/unique_fd.h"

namespace sluice::sandbox {

namespace {

enum class Verdict {
  kAllow,
  kEnosys,  // "not implemented": makes libc fall back (clone3 -> clone)
};

// One condition on one argument, as libseccomp compares them.
struct ArgIs {
  unsigned index;
  scmp_compare op;
  std::uint64_t a;
  std::uint64_t b = 0;
};

struct Rule {
  const char* syscall;
  Verdict verdict = Verdict::kAllow;
  std::optional<ArgIs> only_if = std::nullopt;
  std::optional<ArgIs> and_if = std::nullopt;  // on another argument than only_if's
};

constexpr ArgIs Equals(unsigned index, std::uint64_t value) { return {index, SCMP_CMP_EQ, value}; }
constexpr ArgIs NotEquals(unsigned index, std::uint64_t value) {
  return {index, SCMP_CMP_NE, value};
}
constexpr ArgIs LessThan(unsigned index, std::uint64_t value) {
  return {index, SCMP_CMP_LT, value};
}
// (arg & mask) == value
constexpr ArgIs Masked(unsigned index, std::uint64_t mask, std::uint64_t value) {
  return {index, SCMP_CMP_MASKED_EQ, mask, value};
}
constexpr std::uint64_t kWriteOpenFlags = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND;
// PR_SET_VMA (naming anonymous mappings) is newer than some headers.
constexpr std::uint64_t kPrSetVma = 0x53564d41;
// Stands for the pid of the process that loads the filter: LoadFilter()
// writes that pid over it (seccomp_policy.h). Above any pid_max (at most
// 2^22), so it can never name a real process, and unlike any other
// constant in the tables.
constexpr std::uint64_t kOwnPid = kOwnPidPlaceholder;

// What one session's worker may do. Several rules for one call are
// alternatives. Everything else is denied.
constexpr Rule kWorkerPolicy[] = {
    // Descriptors it already holds: the session socket, the keeper socket,
    // memfds for cache values, stdio.
    {"read"},
    {"readv"},
    {"pread64"},
    {"preadv"},
    {"preadv2"},
    {"write"},
    {"writev"},
    {"pwrite64"},
    {"pwritev"},
    {"pwritev2"},
    {"close"},
    {"close_range"},
    {"lseek"},
    {"fstat"},
    {"fstatfs"},
    {"newfstatat"},
    {"statx"},
    {"dup"},
    {"dup2"},
    {"dup3"},
    // fcntl, but none of the commands that direct a signal elsewhere:
    // F_SETOWN, F_SETOWN_EX and F_SETSIG name who gets SIGIO (or another
    // signal) when the descriptor becomes ready, and O_ASYNC turns that on;
    // the kernel delivers it to any process of the same uid, and without
    // root that is the broker and every sibling. F_SETLEASE and F_NOTIFY
    // (signals to itself, but nothing needs them) are left out as well. Each
    // command is matched exactly, so that a command number with high bits
    // set (the kernel looks at the low 32 only) matches nothing.
    {"fcntl", Verdict::kAllow, Equals(1, F_DUPFD)},
    {"fcntl", Verdict::kAllow, Equals(1, F_DUPFD_CLOEXEC)},
    {"fcntl", Verdict::kAllow, Equals(1, F_GETFD)},
    {"fcntl", Verdict::kAllow, Equals(1, F_SETFD)},
    {"fcntl", Verdict::kAllow, Equals(1, F_GETFL)},
    {"fcntl", Verdict::kAllow, Equals(1, F_SETFL), Masked(2, O_ASYNC, 0)},  // O_NONBLOCK &c.
    {"fcntl", Verdict::kAllow, Equals(1, F_GETLK)},
    {"fcntl", Verdict::kAllow, Equals(1, F_SETLK)},
    {"fcntl", Verdict::kAllow, Equals(1, F_SETLKW)},
    {"fcntl", Verdict::kAllow, Equals(1, F_OFD_GETLK)},
    {"fcntl", Verdict::kAllow, Equals(1, F_OFD_SETLK)},
    {"fcntl", Verdict::kAllow, Equals(1, F_OFD_SETLKW)},
    {"fcntl", Verdict::kAllow, Equals(1, F_GETOWN)},
    {"fcntl", Verdict::kAllow, Equals(1, F_GETOWN_EX)},
    {"fcntl", Verdict::kAllow, Equals(1, F_GETSIG)},
    {"fcntl", Verdict::kAllow, Equals(1, F_ADD_SEALS)},
    {"fcntl", Verdict::kAllow, Equals(1, F_GET_SEALS)},
    {"fcntl", Verdict::kAllow, Equals(1, F_GETPIPE_SZ)},
    {"ftruncate"},
    {"fsync"},
    {"fdatasync"},
    {"sendmsg"},
    {"recvmsg"},
    {"sendto"},
    {"recvfrom"},
    {"shutdown"},
    {"getsockopt"},
    {"setsockopt"},
    {"getsockname"},
    {"getpeername"},
    {"pipe"},
    {"pipe2"},
    {"eventfd2"},
    {"poll"},
    {"ppoll"},
    {"select"},
    {"pselect6"},
    {"epoll_create1"},
    {"epoll_ctl"},
    {"epoll_wait"},
    {"epoll_pwait"},
    {"epoll_pwait2"},
    {"ioctl", Verdict::kAllow, Equals(1, TCGETS)},
    {"ioctl", Verdict::kAllow, Equals(1, TIOCGWINSZ)},
    {"ioctl", Verdict::kAllow, Equals(1, FIONREAD)},
    {"ioctl", Verdict::kAllow, Equals(1, FIONBIO)},
    {"ioctl", Verdict::kAllow, Equals(1, FIOCLEX)},
    // Files: reading only (the mount view and the uid decide what).
    {"openat", Verdict::kAllow, Masked(2, kWriteOpenFlags, O_RDONLY)},
    {"open", Verdict::kAllow, Masked(1, kWriteOpenFlags, O_RDONLY)},
    {"getdents64"},
    {"readlink"},
    {"readlinkat"},
    {"access"},
    {"faccessat"},
    {"faccessat2"},
    {"stat"},
    {"lstat"},
    {"getcwd"},
    {"chdir"},
    {"fchdir"},
    // Memory: malloc, cache values published as sealed memfds.
    {"brk"},
    {"mmap"},
    {"munmap"},
    {"mremap"},
    {"mprotect"},
    {"madvise"},
    {"mincore"},
    {"msync"},
    {"memfd_create"},
    // Threads inside the worker, but no new processes.
    {"clone", Verdict::kAllow, Masked(0, CLONE_THREAD, CLONE_THREAD)},
    {"clone3", Verdict::kEnosys},
    {"futex"},
    {"set_robust_list"},
    {"get_robust_list"},
    {"rseq"},
    {"set_tid_address"},
    {"sched_yield"},
    {"sched_getaffinity"},
    {"sched_getparam"},
    {"sched_getscheduler"},
    {"getcpu"},
    {"membarrier"},
    {"arch_prctl"},
    {"exit"},
    {"exit_group"},
    {"restart_syscall"},
    // Signal handlers, any but SIGSYS's: that one turns denials into EPERM.
    // Not "!= SIGSYS": the kernel reads the signal number as an int, so
    // SIGSYS with high bits set would pass that. 1-30, 32-63, 64.
    {"rt_sigaction", Verdict::kAllow, LessThan(0, SIGSYS)},
    {"rt_sigaction", Verdict::kAllow, Masked(0, ~std::uint64_t{0x1f}, 0x20)},
    {"rt_sigaction", Verdict::kAllow, Equals(0, 64)},
    {"rt_sigprocmask"},
    {"rt_sigreturn"},
    {"sigaltstack"},
    {"rt_sigpending"},
    {"rt_sigsuspend"},
    {"rt_sigtimedwait"},
    // Signals to itself only. glibc's raise(), abort() and pthread_kill()
    // use tgkill(getpid(), tid, sig): allowed with its own pid as the
    // thread group, and the kernel then finds `tid` only among its own
    // threads. tkill names a thread alone, with no group the kernel could
    // check, and glibc never calls it: allowed only on its own pid (its
    // first thread), not on its other threads' tids, which a filter made
    // before they exist cannot know. kill only its own process group (the
    // worker leads a group of its own). The pid is the worker's own
    // (kOwnPid); under a contained zygote the stacked filter holds it to
    // that (kZygoteExtras). Without root every worker, the zygote and the
    // broker share a uid, so these rules, not the kernel, keep a worker
    // from signalling them.
    {"tgkill", Verdict::kAllow, Equals(0, kOwnPid)},
    {"tkill", Verdict::kAllow, Equals(0, kOwnPid)},
    {"kill", Verdict::kAllow, Equals(0, 0)},
    // Time, identity, limits (reading them).
    {"clock_gettime"},
    {"clock_getres"},
    {"gettimeofday"},
    {"time"},
    {"nanosleep"},
    {"clock_nanosleep"},
    {"getitimer"},
    {"setitimer"},
    {"timerfd_create"},
    {"timerfd_settime"},
    {"timerfd_gettime"},
    {"getpid"},
    {"gettid"},
    {"getppid"},
    {"getuid"},
    {"geteuid"},
    {"getgid"},
    {"getegid"},
    {"getgroups"},
    {"getresuid"},
    {"getresgid"},
    {"getpgrp"},
    {"getpgid"},
    {"getsid"},
    {"uname"},
    {"sysinfo"},
    {"getrusage"},
    {"times"},
    {"getrlimit"},
    {"getpriority"},
    {"prlimit64", Verdict::kAllow, Equals(2, 0)},
    {"getrandom"},
    {"wait4"},
    {"waitid"},
    {"prctl", Verdict::kAllow, Equals(0, PR_SET_NAME)},
    {"prctl", Verdict::kAllow, Equals(0, PR_GET_NAME)},
    {"prctl", Verdict::kAllow, Equals(0, PR_GET_DUMPABLE)},
    {"prctl", Verdict::kAllow, Equals(0, kPrSetVma)},
};

// What the zygote may do besides: its own loop (fork, reap and kill its
// children) and the checklist a new worker runs before its own filter
// (process group, limits, ids, prctls, the SIGSYS handler, loading that
// filter). Every rule here is disjoint from every rule of kWorkerPolicy, so
// a worker's filter can refuse exactly these and leave the rest to the
// zygote's, which it inherits.
constexpr Rule kZygoteExtras[] = {
    {"clone", Verdict::kAllow, Masked(0, CLONE_THREAD, 0)},  // fork
    {"kill", Verdict::kAllow, NotEquals(0, 0)},
    // The zygote's own pid is not its workers': it may signal any thread
    // (abort() in its own loop), each worker only its own (kWorkerPolicy).
    {"tgkill", Verdict::kAllow, NotEquals(0, kOwnPid)},
    {"tkill", Verdict::kAllow, NotEquals(0, kOwnPid)},
    {"setpgid"},
    {"setrlimit"},
    {"prlimit64", Verdict::kAllow, NotEquals(2, 0)},
    {"setgroups"},
    {"setresgid"},
    {"setresuid"},
    {"prctl", Verdict::kAllow, Equals(0, PR_SET_PDEATHSIG)},
    {"prctl", Verdict::kAllow, Equals(0, PR_SET_DUMPABLE)},
    {"prctl", Verdict::kAllow, Equals(0, PR_SET_NO_NEW_PRIVS)},
    {"prctl", Verdict::kAllow, Equals(0, PR_SET_SECCOMP)},
    {"seccomp"},
    {"rt_sigaction", Verdict::kAllow, Equals(0, SIGSYS)},
    // The zygote shrinks each worker's denial pipe (worker/stdio_pipes.cc);
    // a worker growing its pipes would take from the pipe memory every
    // process of its uid shares.
    {"fcntl", Verdict::kAllow, Equals(1, F_SETPIPE_SZ)},
};

struct FilterContext {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};

absl::Status LibseccompError(std::string_view call, int rc, std::string_view syscall = "") {
  return absl::InternalError(
      StrCat(call, syscall.empty() ? "" : StrCat("(", syscall, ")"), ": ", std::strerror(-rc)));
}

// Compiles `tables`: each rule's verdict applies (kAllow becomes
// `allow_as`), anything else gets `otherwise`.
absl::StatusOr<CompiledFilter> Compile(std::initializer_list<std::span<const Rule>> tables,
                                       std::uint32_t allow_as, std::uint32_t otherwise) {
  std::unique_ptr<void, FilterContext> ctx(seccomp_init(otherwise));
  if (!ctx) return absl::InternalError("seccomp_init failed");
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
      rc != 0) {
    return LibseccompError("seccomp_attr_set(ACT_BADARCH)", rc);
  }
  // The table is checked against the calls made most, not in its order.
  (void)seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  CompiledFilter compiled;
  for (std::span<const Rule> table : tables) {
    for (const Rule& rule : table) {
      int nr = seccomp_syscall_resolve_name(rule.syscall);
      if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
      std::uint32_t action = rule.verdict == Verdict::kAllow ? allow_as : SCMP_ACT_ERRNO(ENOSYS);
      int rc;
      scmp_arg_cmp cmps[2];
      unsigned count = 0;
      for (const std::optional<ArgIs>& arg : {rule.only_if, rule.and_if}) {
        if (arg) cmps[count++] = {arg->index, arg->op, arg->a, arg->b};
      }
      rc = seccomp_rule_add_exact_array(ctx.get(), action, nr, count, cmps);
      if (rc != 0) return LibseccompError("seccomp_rule_add", rc, rule.syscall);
      ++compiled.rules;
    }
  }
  // libseccomp 2.5 exports to a descriptor only: an in-memory file then.
  UniqueFd out(::memfd_create("sluice-seccomp", MFD_CLOEXEC));
  if (!out) return absl::InternalError(StrCat("memfd_create: ", std::strerror(errno)));
  if (int rc = seccomp_export_bpf(ctx.get(), out.get()); rc != 0) {
    return LibseccompError("seccomp_export_bpf", rc);
  }
  off_t bytes = ::lseek(out.get(), 0, SEEK_END);
  if (bytes <= 0 || bytes % sizeof(sock_filter) != 0) {
    return absl::InternalError("seccomp_export_bpf wrote no whole program");
  }
  compiled.program.resize(static_cast<std::size_t>(bytes) / sizeof(sock_filter));
  if (::pread(out.get(), compiled.program.data(), static_cast<std::size_t>(bytes), 0) != bytes) {
    return absl::InternalError(StrCat("pread: ", std::strerror(errno)));
  }
  // libseccomp compares a 64-bit argument as two 32-bit words: the
  // placeholder is the datum of the low word's jump-if-equal.
  for (std::size_t i = 0; i < compiled.program.size(); ++i) {
    const sock_filter& insn = compiled.program[i];
    if (insn.k != kOwnPidPlaceholder) continue;
    if (insn.code != (BPF_JMP | BPF_JEQ | BPF_K)) {
      return absl::InternalError("the own-pid placeholder is in an unexpected instruction");
    }
    compiled.own_pid_at.push_back(i);
  }
  return compiled;
}

}  // namespace

absl::StatusOr<CompiledFilter> CompileWorkerFilter() {
  return Compile({kWorkerPolicy}, SCMP_ACT_ALLOW, SCMP_ACT_TRAP);
}

absl::StatusOr<CompiledFilter> CompileZygoteFilter() {
  return Compile({kWorkerPolicy, kZygoteExtras}, SCMP_ACT_ALLOW, SCMP_ACT_TRAP);
}

absl::StatusOr<CompiledFilter> CompileWorkerOverZygoteFilter() {
  return Compile({kZygoteExtras}, SCMP_ACT_TRAP, SCMP_ACT_ALLOW);
}

absl::Status LoadFilter(const CompiledFilter& filter, pid_t own_pid) {
  // A copy of tens to hundreds of instructions: small beside the load.
  std::vector<sock_filter> patched = filter.program;
  for (std::size_t at : filter.own_pid_at) patched[at].k = static_cast<std::uint32_t>(own_pid);
  sock_fprog program{static_cast<unsigned short>(patched.size()), patched.data()};
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    return absl::InternalError(StrCat("prctl(PR_SET_SECCOMP): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace sluice::sandbox
