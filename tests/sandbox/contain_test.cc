// The worker checklist (sandbox::ContainWorker) applied in forked children
// of the test: what a contained process can still do (everything a worker
// needs) and what it cannot. Each child reports by exit code: 0 when every
// expectation held, else the number of the first that failed (and a line on
// stderr).
#include "sandbox/contain.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/memfd.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <new>
#include <thread>
#include <vector>

#include "sandbox/credentials.h"
#include "sandbox/denials.h"
#include "sandbox/exit_codes.h"
#include "sandbox/limits.h"
#include "sandbox/watchdog.h"
#include "tests/shm_cache/forked_child.h"
#include "tests/support/status_macros.h"

namespace sluice::sandbox {
namespace {

using shm_cache::testing::DescribeWaitStatus;
using shm_cache::testing::ForkedChild;
using sluice::testing::After;
using ::testing::Contains;

constexpr int kSlot = 7;

// Counts expectations inside a child; the first failure decides the exit code.
class ChildChecks {
 public:
  void Expect(bool holds, const char* what) {
    ++number_;
    if (!holds && failed_ == 0) {
      failed_ = number_;
      std::fprintf(stderr, "child expectation %d failed: %s (errno %s)\n", number_, what,
                   strerrorname_np(errno) ? strerrorname_np(errno) : "0");
    }
  }
  // `result` is a call's return value: expect -1 with `err`.
  void ExpectFails(long result, int err, const char* what) {
    Expect(result == -1 && errno == err, what);
  }
  int result() const { return failed_; }

 private:
  int number_ = 0;
  int failed_ = 0;
};

// A syscall argument the kernel reads as a 32-bit int, with high bits set
// that it ignores: a filter that compares 64 bits must not be fooled.
long WithHighBits(long value) { return static_cast<long>((std::uint64_t{1} << 32) | value); }

// What a contained worker may signal: itself, nothing else; `other` is a
// process it must not reach (sig 0 only checks, nothing is delivered).
// The filter refuses 12 calls here.
void CheckSignalsReachOnlyItself(ChildChecks& c, pid_t other) {
  pid_t self = ::getpid();
  c.Expect(::syscall(SYS_tgkill, self, ::gettid(), 0) == 0, "tgkill(self)");
  c.Expect(::syscall(SYS_tkill, self, 0) == 0, "tkill(self)");
  c.Expect(::raise(0) == 0, "raise");
  // Another thread of its own, as pthread_kill() reaches it (tgkill).
  std::atomic<pid_t> tid{0};
  std::atomic<bool> done{false};
  std::thread thread([&] {
    tid = ::gettid();
    while (!done) std::this_thread::yield();
  });
  while (tid == 0) std::this_thread::yield();
  c.Expect(::pthread_kill(thread.native_handle(), 0) == 0, "pthread_kill(own thread)");
  // tkill names no thread group: only its own pid (policy's comment).
  c.ExpectFails(::syscall(SYS_tkill, tid.load(), 0), EPERM, "tkill(own other thread)");
  done = true;
  thread.join();
  c.ExpectFails(::syscall(SYS_tgkill, other, other, 0), EPERM, "tgkill(other)");
  c.ExpectFails(::syscall(SYS_tkill, other, 0), EPERM, "tkill(other)");
  c.ExpectFails(::syscall(SYS_tgkill, WithHighBits(other), other, 0), EPERM,
                "tgkill(other | 1 << 32)");
  c.ExpectFails(::kill(other, 0), EPERM, "kill(other)");
  sigval value{};
  c.ExpectFails(::sigqueue(other, SIGUSR1, value), EPERM, "sigqueue (rt_sigqueueinfo)");
  siginfo_t info{};
  c.ExpectFails(::syscall(SYS_rt_tgsigqueueinfo, other, other, SIGUSR1, &info), EPERM,
                "rt_tgsigqueueinfo");
  c.ExpectFails(::syscall(SYS_pidfd_open, other, 0), EPERM, "pidfd_open");
  c.ExpectFails(::syscall(SYS_pidfd_send_signal, 0, SIGUSR1, nullptr, 0), EPERM,
                "pidfd_send_signal");
  char byte;
  iovec mine{&byte, 1};
  c.ExpectFails(::process_vm_readv(other, &mine, 1, &mine, 1, 0), EPERM, "process_vm_readv");
  c.ExpectFails(::process_vm_writev(other, &mine, 1, &mine, 1, 0), EPERM, "process_vm_writev");
  c.ExpectFails(::ptrace(PTRACE_ATTACH, other, nullptr, nullptr), EPERM, "ptrace");
}

// No descriptor can be made to signal anyone (F_SETOWN and friends), while
// the fcntl commands workers use keep working. The filter refuses 8 calls.
void CheckNoDescriptorSignalsElsewhere(ChildChecks& c, pid_t other) {
  int fds[2];
  c.Expect(::pipe2(fds, O_CLOEXEC) == 0, "pipe2");
  c.ExpectFails(::fcntl(fds[0], F_SETOWN, other), EPERM, "F_SETOWN(other)");
  c.ExpectFails(::fcntl(fds[0], F_SETOWN, ::getpid()), EPERM, "F_SETOWN(self)");
  f_owner_ex owner{F_OWNER_PID, other};
  c.ExpectFails(::fcntl(fds[0], F_SETOWN_EX, &owner), EPERM, "F_SETOWN_EX");
  c.ExpectFails(::fcntl(fds[0], F_SETSIG, SIGKILL), EPERM, "F_SETSIG");
  c.ExpectFails(::syscall(SYS_fcntl, fds[0], WithHighBits(F_SETOWN), other), EPERM,
                "F_SETOWN | 1 << 32");
  int flags = ::fcntl(fds[0], F_GETFL);
  c.Expect(flags >= 0, "F_GETFL");
  c.ExpectFails(::fcntl(fds[0], F_SETFL, flags | O_ASYNC), EPERM, "F_SETFL(O_ASYNC)");
  int on = 1;
  c.ExpectFails(::ioctl(fds[0], FIOASYNC, &on), EPERM, "ioctl(FIOASYNC)");
  c.ExpectFails(::ioctl(fds[0], FIOSETOWN, &other), EPERM, "ioctl(FIOSETOWN)");
  c.Expect(::fcntl(fds[0], F_SETFL, flags | O_NONBLOCK) == 0, "F_SETFL(O_NONBLOCK)");
  c.Expect((::fcntl(fds[0], F_GETFL) & (O_NONBLOCK | O_ASYNC)) == O_NONBLOCK, "flags set");
  c.Expect(::fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, "F_SETFD");
  int copy = ::fcntl(fds[0], F_DUPFD_CLOEXEC, 10);
  c.Expect(copy >= 10, "F_DUPFD_CLOEXEC");
  ::close(copy);
  ::close(fds[0]);
  ::close(fds[1]);
}

class ContainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    reports_read_.reset(fds[0]);
    reports_write_.reset(fds[1]);
    WorkerSandboxConfig config{Level::kStandard, std::uint64_t{256} << 20, absl::Seconds(60)};
    // The child inherits the write end at the same number.
    ASSERT_OK_AND_ASSIGN(sandbox_, PreparedSandbox::Prepare(config, {-1, reports_write_.get()}));
  }

  // Forks a child that contains itself, then runs `checks`; returns its
  // wait status.
  int RunContained(const std::function<void(ChildChecks&)>& checks,
                   const PreparedSandbox* sandbox = nullptr) {
    const PreparedSandbox& use = sandbox ? *sandbox : sandbox_;
    pid_t parent = ::getpid();
    auto child = ForkedChild::Start([&] {
      ContainWorker(use, kSlot, parent);
      ChildChecks c;
      checks(c);
      return c.result();
    });
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return -1;
    auto status = child->Wait(After(std::chrono::seconds(60)));
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? *status : -1;
  }

  void ExpectClean(int status) {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << DescribeWaitStatus(status);
  }

  // The denial reports of every child so far: the syscall numbers.
  std::vector<int> Reports() {
    DenialReport report;
    while (::read(reports_read_.get(), &report, sizeof(report)) == sizeof(report)) {
      reports_.push_back(report.syscall);
    }
    return reports_;
  }

  UniqueFd reports_read_;
  UniqueFd reports_write_;
  std::vector<int> reports_;
  PreparedSandbox sandbox_;
};

TEST_F(ContainTest, WorkerKeepsWhatItNeeds) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ExpectClean(RunContained([&](ChildChecks& c) {
    // Its session socket, with descriptors riding along (cache values).
    int memfd = ::memfd_create("value", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    c.Expect(memfd >= 0, "memfd_create");
    c.Expect(::ftruncate(memfd, 4096) == 0, "ftruncate");
    void* map = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    c.Expect(map != MAP_FAILED, "mmap shared");
    if (map != MAP_FAILED) {
      std::memset(map, 7, 4096);
      c.Expect(::munmap(map, 4096) == 0, "munmap");
    }
    c.Expect(::fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) == 0, "seals");
    char byte = 'x';
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &memfd, sizeof memfd);
    c.Expect(::sendmsg(sv[1], &msg, 0) == 1, "sendmsg with SCM_RIGHTS");
    // malloc, big and small; randomness; time; threads' futexes.
    std::vector<char> big(64 << 20, 1);
    c.Expect(big[12345] == 1, "64 MiB vector");
    unsigned seed;
    c.Expect(::getrandom(&seed, sizeof seed, 0) == sizeof seed, "getrandom");
    timespec now;
    c.Expect(::clock_gettime(CLOCK_MONOTONIC, &now) == 0, "clock_gettime");
    c.Expect(::raise(0) == 0, "raise (tgkill)");
  }));
  char byte = 0;
  EXPECT_EQ(::read(sv[0], &byte, 1), 1);
  EXPECT_EQ(byte, 'x');
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_F(ContainTest, DeniedCallsFailWithEpermAndAreReported) {
  std::size_t before = Reports().size();
  ExpectClean(RunContained([](ChildChecks& c) {
    c.ExpectFails(::socket(AF_INET, SOCK_STREAM, 0), EPERM, "socket");
    c.ExpectFails(::fork(), EPERM, "fork");
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    c.ExpectFails(::execv("/bin/true", argv), EPERM, "execv");
    c.ExpectFails(::open("/tmp/sluice-contain-test", O_WRONLY | O_CREAT, 0644), EPERM,
                  "open for writing");
    c.ExpectFails(::kill(-1, SIGKILL), EPERM, "kill(-1)");
    c.ExpectFails(::kill(::getppid(), SIGKILL), EPERM, "kill(parent)");
    c.ExpectFails(::ptrace(PTRACE_ATTACH, ::getppid(), nullptr, nullptr), EPERM, "ptrace");
    c.ExpectFails(::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), EPERM, "prctl(PR_SET_DUMPABLE, 1)");
    c.ExpectFails(::setuid(0), EPERM, "setuid(0)");
    rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    c.ExpectFails(::setrlimit(RLIMIT_AS, &unlimited), EPERM, "setrlimit");
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    c.ExpectFails(::sigaction(SIGSYS, &ignore, nullptr), EPERM, "sigaction(SIGSYS)");
  }));
  std::vector<int> reports = Reports();
  EXPECT_GE(reports.size(), before + 11);
  EXPECT_THAT(reports, Contains(SYS_socket));
  EXPECT_THAT(reports, Contains(SYS_ptrace));
}

TEST_F(ContainTest, SignalsReachOnlyTheWorkerItself) {
  std::size_t before = Reports().size();
  ExpectClean(RunContained([](ChildChecks& c) { CheckSignalsReachOnlyItself(c, ::getppid()); }));
  EXPECT_GE(Reports().size(), before + 12) << "the filter, not the uid, refused them";
}

TEST_F(ContainTest, NoDescriptorCanDirectASignalElsewhere) {
  std::size_t before = Reports().size();
  ExpectClean(
      RunContained([](ChildChecks& c) { CheckNoDescriptorSignalsElsewhere(c, ::getppid()); }));
  EXPECT_GE(Reports().size(), before + 8);
}

TEST_F(ContainTest, SigsysHandlerStaysEvenWithHighBitsInTheSignalNumber) {
  ExpectClean(RunContained([](ChildChecks& c) {
    struct {
      void (*handler)(int);
      unsigned long flags;
      void (*restorer)();
      std::uint64_t mask;
    } ignore{SIG_IGN, 0, nullptr, 0};
    c.ExpectFails(::syscall(SYS_rt_sigaction, WithHighBits(SIGSYS), &ignore, nullptr, 8), EPERM,
                  "rt_sigaction(SIGSYS | 1 << 32)");
    c.Expect(::syscall(SYS_rt_sigaction, SIGUSR1, &ignore, nullptr, 8) == 0,
             "rt_sigaction(SIGUSR1)");
    c.Expect(::syscall(SYS_rt_sigaction, SIGRTMIN + 1, &ignore, nullptr, 8) == 0,
             "rt_sigaction(SIGRTMIN + 1)");
  }));
}

// The way workers really run: the zygote loads its wider filter once and
// each worker stacks the short one, which must hold it to its own pid.
TEST_F(ContainTest, UnderAContainedZygoteAWorkerSignalsOnlyItself) {
  pid_t test = ::getpid();
  auto zygote = ForkedChild::Start([&]() -> int {
    PreparedSandbox sandbox = sandbox_;
    ContainZygote(sandbox);
    ChildChecks z;
    z.Expect(::syscall(SYS_tgkill, ::getpid(), ::gettid(), 0) == 0, "zygote tgkill(self)");
    if (z.result() != 0) return 100 + z.result();
    pid_t zygote_pid = ::getpid();
    pid_t worker = ::fork();
    if (worker == 0) {
      ContainWorker(sandbox, kSlot, zygote_pid);
      ChildChecks c;
      CheckSignalsReachOnlyItself(c, zygote_pid);
      CheckSignalsReachOnlyItself(c, test);
      CheckNoDescriptorSignalsElsewhere(c, zygote_pid);
      ::_exit(c.result());
    }
    int status = 0;
    if (worker < 0 || ::waitpid(worker, &status, 0) != worker) return 99;
    if (!WIFEXITED(status)) {
      std::fprintf(stderr, "worker: %s\n", DescribeWaitStatus(status).c_str());
      return 98;
    }
    return WEXITSTATUS(status);
  });
  ASSERT_TRUE(zygote.ok()) << zygote.status();
  ASSERT_OK_AND_ASSIGN(int status, zygote->Wait(After(std::chrono::seconds(60))));
  ExpectClean(status);
}

TEST_F(ContainTest, WorkerRunsAsItsOwnUnprivilegedIds) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to change ids";
  ExpectClean(RunContained([](ChildChecks& c) {
    uid_t id = kWorkerIdBase + kSlot;
    uid_t r, e, s;
    c.Expect(::getresuid(&r, &e, &s) == 0 && r == id && e == id && s == id, "uids");
    gid_t gr, ge, gs;
    c.Expect(::getresgid(&gr, &ge, &gs) == 0 && gr == id && ge == id && gs == id, "gids");
    c.Expect(::getgroups(0, nullptr) == 0, "no supplementary groups");
    c.Expect(::prctl(PR_GET_DUMPABLE) == 0, "not dumpable");
    c.Expect(::getpgid(0) == ::getpid(), "a process group of its own");
  }));
}

TEST_F(ContainTest, LimitsAreSet) {
  ExpectClean(RunContained([](ChildChecks& c) {
    rlimit limit;
    c.Expect(::getrlimit(RLIMIT_CORE, &limit) == 0 && limit.rlim_max == 0, "no core files");
    c.Expect(::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_max <= kWorkerMaxFds,
             "few descriptors");
    c.Expect(::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_max != RLIM_INFINITY,
             "bounded address space");
  }));
}

TEST_F(ContainTest, MemoryExhaustionEndsTheWorkerWithItsExitCode) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan's allocator reports and aborts instead of calling the new handler";
#endif
  int status = RunContained([](ChildChecks&) {
    std::vector<char*> blocks;
    for (;;) blocks.push_back(new char[32 << 20]);
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kExitOutOfMemory)
      << DescribeWaitStatus(status);
}

TEST_F(ContainTest, RunWatchdogEndsALoopWithoutStCalls) {
  WorkerSandboxConfig config{Level::kStandard, 0, absl::Milliseconds(200)};
  ASSERT_OK_AND_ASSIGN(PreparedSandbox quick, PreparedSandbox::Prepare(config, {}));
  int status = RunContained(
      [](ChildChecks&) {
        ArmRunWatchdog();
        volatile unsigned long spins = 0;
        for (;;) spins = spins + 1;
      },
      &quick);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kExitRerunTimeout)
      << DescribeWaitStatus(status);
}

TEST_F(ContainTest, DisarmedWatchdogLetsTheWorkerGoOn) {
  WorkerSandboxConfig config{Level::kStandard, 0, absl::Milliseconds(100)};
  ASSERT_OK_AND_ASSIGN(PreparedSandbox quick, PreparedSandbox::Prepare(config, {}));
  ExpectClean(RunContained(
      [](ChildChecks& c) {
        ArmRunWatchdog();
        DisarmRunWatchdog();
        // Well past the budget in CPU time, with the timer off.
        timespec start, now;
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
        do {
          ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
        } while (now.tv_sec - start.tv_sec < 1);
        c.Expect(true, "still running");
      },
      &quick));
}

TEST_F(ContainTest, OffAppliesNothing) {
  WorkerSandboxConfig config{Level::kOff, std::uint64_t{256} << 20, absl::Seconds(60)};
  ASSERT_OK_AND_ASSIGN(PreparedSandbox off, PreparedSandbox::Prepare(config, {}));
  EXPECT_TRUE(off.filter().program.empty());
  uid_t uid = ::getuid();
  ExpectClean(RunContained(
      [uid](ChildChecks& c) {
        c.Expect(::getuid() == uid, "same uid");
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        c.Expect(fd >= 0, "socket");
        ::close(fd);
      },
      &off));
}

}  // namespace
}  // namespace sluice::sandbox
