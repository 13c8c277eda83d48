#include "bench/real_cache.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ipc/keeper.capnp.h"
#include "ipc/packet.h"
#include "runtime/cache_runtime.h"

namespace sluice::bench {

namespace {

// The descriptors `sluice __keeper` expects (keeper/keeper.h).
constexpr int kKeeperControlFd = 3;
constexpr int kKeeperArenaFd = 4;
constexpr int kReadyTimeoutMs = 30'000;

std::string ReadAll(int fd) {
  std::string text;
  char buffer[4096];
  for (off_t at = 0;;) {
    ssize_t n = ::pread(fd, buffer, sizeof(buffer), at);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    at += n;
  }
  return text;
}

[[noreturn]] void Fail(const char* what, int keeper_log = -1) {
  std::fprintf(stderr, "cache_bench: %s\n", what);
  if (keeper_log >= 0) std::fprintf(stderr, "keeper log:\n%s\n", ReadAll(keeper_log).c_str());
  std::exit(1);
}

// Waits up to `ms` for `pid` to exit; true if it did (and was reaped).
bool ReapWithin(pid_t pid, int ms) {
  for (int waited = 0; waited <= ms; waited += 10) {
    int status;
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    ::usleep(10'000);
  }
  return false;
}

}  // namespace

std::unique_ptr<RealCache> RealCache::Start(std::size_t arena_bytes) {
  absl::StatusOr<UniqueFd> arena_fd = shm_cache::CreateArenaFile(arena_bytes);
  if (!arena_fd.ok()) Fail("cannot create the arena memfd");
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) Fail("socketpair");
  UniqueFd control(sv[0]);
  UniqueFd keeper_end(sv[1]);
  UniqueFd log(::memfd_create("keeper-log", MFD_CLOEXEC));
  if (!log) Fail("memfd_create");

  // Prepared before fork: the keeper gets the bench's environment without
  // GLIBC_TUNABLES (the huge-page leg sets it for the workers only).
  std::string broker_pid = std::to_string(::getpid());
  std::string control_arg = std::to_string(kKeeperControlFd);
  std::string arena_arg = std::to_string(kKeeperArenaFd);
  const char* argv[] = {SLUICE_BINARY,       "__keeper",         "--control-fd",
                        control_arg.c_str(), "--arena-fd",       arena_arg.c_str(),
                        "--broker-pid",      broker_pid.c_str(), nullptr};
  std::vector<const char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "GLIBC_TUNABLES=", 15) != 0) envp.push_back(*e);
  }
  envp.push_back(nullptr);
  int control_fd = keeper_end.get(), arena = arena_fd->get(), log_fd = log.get();
  pid_t pid = ::fork();
  if (pid < 0) Fail("fork");
  if (pid == 0) {
    int control_copy = ::fcntl(control_fd, F_DUPFD, 16);
    int arena_copy = ::fcntl(arena, F_DUPFD, 16);
    if (control_copy < 0 || arena_copy < 0 || ::dup2(log_fd, STDERR_FILENO) < 0 ||
        ::dup2(control_copy, kKeeperControlFd) < 0 || ::dup2(arena_copy, kKeeperArenaFd) < 0) {
      _exit(127);
    }
    ::execve(argv[0], const_cast<char* const*>(argv), const_cast<char* const*>(envp.data()));
    _exit(127);
  }
  keeper_end.reset();

  auto fail = [&](const char* what) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    Fail(what, log.get());
  };
  pollfd ready{control.get(), POLLIN, 0};
  if (::poll(&ready, 1, kReadyTimeoutMs) != 1) fail("the keeper sent nothing in 30 s");
  absl::StatusOr<ipc::Packet> packet = ipc::ReceivePacket(control.get());
  if (!packet.ok() || packet->words.empty()) fail("the keeper exited before it was ready");
  capnp::FlatArrayMessageReader message(kj::arrayPtr(packet->words.data(), packet->words.size()));
  if (!message.getRoot<ipc::KeeperEvent>().isReady()) fail("the keeper's first event is not ready");

  // Sealed by now (the keeper's ready says so): a read-only mapping stays so.
  absl::StatusOr<shm_cache::Mapping> mapping =
      shm_cache::Mapping::ReadOnly(arena_fd->get(), arena_bytes);
  if (!mapping.ok()) fail("cannot map the arena read-only");
  absl::StatusOr<shm_cache::Reader> reader =
      shm_cache::Reader::Attach(mapping->data(), arena_bytes);
  if (!reader.ok()) fail("the arena is not formatted");
  absl::Status prepared =
      runtime::PrepareCacheInZygote({mapping->data(), mapping->size(), "/proc/self/exe"});
  if (!prepared.ok()) fail("PrepareCacheInZygote failed");
  return std::unique_ptr<RealCache>(new RealCache(
      pid, std::move(control), std::move(log), *std::move(arena_fd), *std::move(mapping), *reader));
}

RealCache::~RealCache() {
  control_.reset();
  if (!ReapWithin(keeper_, 5'000)) {
    std::fprintf(stderr, "cache_bench: the keeper did not exit; killing it\n");
    ::kill(keeper_, SIGKILL);
    ::waitpid(keeper_, nullptr, 0);
  }
}

pid_t RealCache::ForkWorker() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) Fail("socketpair");
  UniqueFd worker_end(sv[0]);
  UniqueFd keeper_end(sv[1]);
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::KeeperCommand>().setAttach();
  if (!ipc::SendPacket(control_.get(), message, {keeper_end.get()}).ok()) {
    Fail("cannot attach a worker socket", log_.get());
  }
  keeper_end.reset();
  pid_t pid = ::fork();
  if (pid == 0) runtime::AttachKeeper(std::move(worker_end));
  return pid;
}

}  // namespace sluice::bench
