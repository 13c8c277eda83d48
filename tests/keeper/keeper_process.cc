#include "tests/keeper/keeper_process.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ipc/packet.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"

namespace sluice::testing {
namespace {

absl::Status Errno(std::string_view what) {
  return absl::InternalError(absl::StrCat(std::string(what), ": ", std::strerror(errno)));
}

int RemainingMs(Deadline deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// Waits until `fd` is readable (or hung up); false at the deadline.
bool WaitReadable(int fd, Deadline deadline) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

void SetKey(ipc::CacheKey::Builder out, const shm_cache::Key& key) {
  out.setLow(key.low);
  out.setHigh(key.high);
}

}  // namespace

std::vector<std::byte> Pattern(std::size_t size, unsigned seed) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i)
    bytes[i] = std::byte((i * 131 + seed * 7 + i / 4096) & 0xff);
  return bytes;
}

absl::StatusOr<UniqueFd> ValueMemfd(std::span<const std::byte> bytes, int seals) {
  UniqueFd fd(::memfd_create("test-value", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return Errno("memfd_create");
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) return Errno("write");
    done += static_cast<std::size_t>(n);
  }
  if (seals != 0 && ::fcntl(fd.get(), F_ADD_SEALS, seals) != 0) return Errno("F_ADD_SEALS");
  return fd;
}

absl::Status TestWorker::Send(capnp::MessageBuilder& message, int fd) {
  if (fd >= 0) return ipc::SendPacket(socket_.get(), message, {fd});
  return ipc::SendPacket(socket_.get(), message);
}

absl::Status TestWorker::Claim(std::uint64_t id, const shm_cache::Key& key,
                               std::uint32_t function) {
  capnp::MallocMessageBuilder message;
  auto claim = message.initRoot<ipc::CacheRequest>().initClaim();
  claim.setId(id);
  SetKey(claim.initKey(), key);
  claim.setFunction(function);
  return Send(message);
}

absl::Status TestWorker::Publish(const shm_cache::Key& key, std::span<const std::byte> value,
                                 std::uint32_t function, std::uint64_t ttl_ms,
                                 std::uint32_t max_entries) {
  capnp::MallocMessageBuilder message;
  auto publish = message.initRoot<ipc::CacheRequest>().initPublish();
  SetKey(publish.initKey(), key);
  publish.setFunction(function);
  publish.setTtlMs(ttl_ms);
  publish.setMaxEntries(max_entries);
  publish.setSize(value.size());
  publish.setInline(kj::arrayPtr(reinterpret_cast<const kj::byte*>(value.data()), value.size()));
  return Send(message);
}

absl::Status TestWorker::PublishFd(const shm_cache::Key& key, std::uint64_t size, int value_fd,
                                   std::uint32_t function) {
  capnp::MallocMessageBuilder message;
  auto publish = message.initRoot<ipc::CacheRequest>().initPublish();
  SetKey(publish.initKey(), key);
  publish.setFunction(function);
  publish.setSize(size);
  return Send(message, value_fd);
}

absl::Status TestWorker::Pin(std::uint64_t id, const shm_cache::Key& key, std::uint64_t file_offset,
                             std::uint64_t size) {
  capnp::MallocMessageBuilder message;
  auto pin = message.initRoot<ipc::CacheRequest>().initPin();
  pin.setId(id);
  SetKey(pin.initKey(), key);
  pin.setOffset(file_offset);
  pin.setSize(size);
  return Send(message);
}

absl::Status TestWorker::Unpin(std::uint64_t file_offset) {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::CacheRequest>().setUnpin(file_offset);
  return Send(message);
}

absl::Status TestWorker::Abandon(const shm_cache::Key& key) {
  capnp::MallocMessageBuilder message;
  SetKey(message.initRoot<ipc::CacheRequest>().initAbandon(), key);
  return Send(message);
}

absl::Status TestWorker::Touch(const std::vector<shm_cache::Key>& keys) {
  capnp::MallocMessageBuilder message;
  auto list = message.initRoot<ipc::CacheRequest>().initTouch(static_cast<unsigned>(keys.size()));
  for (std::size_t i = 0; i < keys.size(); ++i) SetKey(list[i], keys[i]);
  return Send(message);
}

absl::Status TestWorker::Hits(std::uint64_t count) {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::CacheRequest>().setHits(count);
  return Send(message);
}

absl::Status TestWorker::ClearAll(std::uint64_t id) {
  capnp::MallocMessageBuilder message;
  auto clear = message.initRoot<ipc::CacheRequest>().initClear();
  clear.setId(id);
  clear.setAll();
  return Send(message);
}

absl::Status TestWorker::ClearFunction(std::uint64_t id, std::uint32_t function) {
  capnp::MallocMessageBuilder message;
  auto clear = message.initRoot<ipc::CacheRequest>().initClear();
  clear.setId(id);
  clear.setFunction(function);
  return Send(message);
}

absl::Status TestWorker::ClearKey(std::uint64_t id, const shm_cache::Key& key) {
  capnp::MallocMessageBuilder message;
  auto clear = message.initRoot<ipc::CacheRequest>().initClear();
  clear.setId(id);
  SetKey(clear.initKey(), key);
  return Send(message);
}

absl::Status TestWorker::SendRaw(std::span<const std::byte> bytes, int fd) {
  iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  if (::sendmsg(socket_.get(), &msg, MSG_NOSIGNAL) < 0) return Errno("sendmsg");
  return absl::OkStatus();
}

absl::StatusOr<CacheReplyInfo> TestWorker::Next(Deadline deadline) {
  if (!WaitReadable(socket_.get(), deadline)) {
    return absl::DeadlineExceededError("no reply from the keeper in time");
  }
  absl::StatusOr<ipc::Packet> packet = ipc::ReceivePacket(socket_.get());
  if (!packet.ok()) return packet.status();
  if (packet->words.empty()) return absl::NotFoundError("the keeper closed the socket");
  capnp::FlatArrayMessageReader message(kj::arrayPtr(packet->words.data(), packet->words.size()));
  auto reply = message.getRoot<ipc::CacheReply>();
  return CacheReplyInfo{reply.getId(), reply.isCompute(), reply.isPinned(), reply.isRefused(),
                        packet->TakeFd(0)};
}

absl::Status TestWorker::Sync(Deadline deadline) {
  std::uint64_t id = next_sync_id_++;
  if (absl::Status sent = ClearKey(id, shm_cache::Key{~0ull, id}); !sent.ok()) return sent;
  absl::StatusOr<CacheReplyInfo> reply = Next(deadline);
  if (!reply.ok()) return reply.status();
  if (reply->id != id) {
    return absl::FailedPreconditionError(
        absl::StrCat("expected only the sync reply, got a reply to ", reply->id,
                     reply->compute ? " (compute)" : " (ready)"));
  }
  return absl::OkStatus();
}

bool TestWorker::WaitForHangup(Deadline deadline) {
  for (;;) {
    if (!WaitReadable(socket_.get(), deadline)) return false;
    absl::StatusOr<ipc::Packet> packet = ipc::ReceivePacket(socket_.get());
    if (!packet.ok()) return !absl::IsUnavailable(packet.status());  // a reset counts
    if (packet->words.empty()) return true;
    // A reply sent before the drop: skip it.
  }
}

absl::StatusOr<std::unique_ptr<KeeperProcess>> KeeperProcess::Start(std::size_t arena_bytes) {
  std::unique_ptr<KeeperProcess> keeper(new KeeperProcess());
  absl::StatusOr<UniqueFd> arena = shm_cache::CreateArenaFile(arena_bytes);
  if (!arena.ok()) return arena.status();
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return Errno("socketpair");
  keeper->control_.reset(sv[0]);
  UniqueFd keeper_end(sv[1]);
  keeper->log_.reset(::memfd_create("keeper-log", MFD_CLOEXEC));
  if (!keeper->log_) return Errno("memfd_create");

  std::string binary = SluiceBinary();
  std::string broker_pid = absl::StrCat(::getpid());
  const char* argv[] = {binary.c_str(), "__keeper",         "--control-fd", "3", "--arena-fd", "4",
                        "--broker-pid", broker_pid.c_str(), nullptr};
  int control_fd = keeper_end.get();
  int arena_fd = arena->get();
  int log_fd = keeper->log_.get();
  pid_t pid = ::fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    // Out of the way first (see broker/helper_process.cc), then into place.
    int control = ::fcntl(control_fd, F_DUPFD, 16);
    int arena_copy = ::fcntl(arena_fd, F_DUPFD, 16);
    if (control < 0 || arena_copy < 0 || ::dup2(log_fd, STDERR_FILENO) < 0 ||
        ::dup2(control, 3) < 0 || ::dup2(arena_copy, 4) < 0) {
      _exit(127);
    }
    ::execv(argv[0], const_cast<char* const*>(argv));
    _exit(127);
  }
  keeper->pid_ = pid;
  keeper_end.reset();

  if (!WaitReadable(keeper->control_.get(), After(kStartTimeout))) {
    return absl::DeadlineExceededError("the keeper sent nothing in time");
  }
  absl::StatusOr<ipc::Packet> packet = ipc::ReceivePacket(keeper->control_.get());
  if (!packet.ok()) return packet.status();
  if (packet->words.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("the keeper exited: ", keeper->Log()));
  }
  capnp::FlatArrayMessageReader message(kj::arrayPtr(packet->words.data(), packet->words.size()));
  if (!message.getRoot<ipc::KeeperEvent>().isReady()) {
    return absl::FailedPreconditionError("the keeper's first event is not ready");
  }
  absl::StatusOr<shm_cache::Mapping> mapping =
      shm_cache::Mapping::ReadOnly(arena->get(), arena_bytes);
  if (!mapping.ok()) return mapping.status();
  keeper->arena_ = *std::move(mapping);
  absl::StatusOr<shm_cache::Reader> reader =
      shm_cache::Reader::Attach(keeper->arena_.data(), arena_bytes);
  if (!reader.ok()) return reader.status();
  keeper->reader_ = *reader;
  keeper->arena_fd_ = *std::move(arena);
  return keeper;
}

KeeperProcess::~KeeperProcess() {
  if (pid_ > 0) {
    control_.reset();
    if (!WaitForExit().ok()) {
      ::kill(pid_, SIGKILL);
      int status;
      ::waitpid(pid_, &status, 0);
      ADD_FAILURE() << "the keeper did not exit when its control socket closed";
    }
  }
  std::string log = Log();
  for (std::string_view marker :
       {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
    if (log.find(marker) != std::string::npos) {
      ADD_FAILURE() << "the keeper reported a sanitizer error:\n" << log;
      break;
    }
  }
}

absl::StatusOr<int> KeeperProcess::WaitForExit(Deadline deadline) {
  if (wait_status_) return *wait_status_;
  if (!testing::WaitForExit(pid_, deadline)) {
    return absl::DeadlineExceededError("the keeper is still running");
  }
  int status = 0;
  if (::waitpid(pid_, &status, 0) != pid_) return Errno("waitpid");
  wait_status_ = status;
  return status;
}

absl::StatusOr<TestWorker> KeeperProcess::Attach() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return Errno("socketpair");
  UniqueFd worker_end(sv[0]);
  UniqueFd keeper_end(sv[1]);
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::KeeperCommand>().setAttach();
  if (absl::Status sent = ipc::SendPacket(control_.get(), message, {keeper_end.get()});
      !sent.ok()) {
    return sent;
  }
  return TestWorker(std::move(worker_end));
}

absl::StatusOr<std::uint64_t> KeeperProcess::Clear(std::uint64_t tag, Deadline deadline) {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::KeeperCommand>().setClear(tag);
  if (absl::Status sent = ipc::SendPacket(control_.get(), message); !sent.ok()) return sent;
  if (!WaitReadable(control_.get(), deadline)) return absl::DeadlineExceededError("no Cleared");
  absl::StatusOr<ipc::Packet> packet = ipc::ReceivePacket(control_.get());
  if (!packet.ok()) return packet.status();
  if (packet->words.empty()) return absl::NotFoundError("the keeper closed the control socket");
  capnp::FlatArrayMessageReader reader(kj::arrayPtr(packet->words.data(), packet->words.size()));
  auto event = reader.getRoot<ipc::KeeperEvent>();
  if (!event.isCleared() || event.getCleared().getTag() != tag) {
    return absl::FailedPreconditionError("unexpected event");
  }
  return event.getCleared().getEntries();
}

std::optional<std::vector<std::byte>> KeeperProcess::Get(const shm_cache::Key& key) const {
  std::vector<std::byte> value;
  bool hit = reader_->Get(key, shm_cache::MonotonicNowNs(), [&](std::size_t size) {
    value.resize(size);
    return value.data();
  });
  if (!hit) return std::nullopt;
  return value;
}

std::string KeeperProcess::Log() const {
  std::string log;
  char buffer[4096];
  off_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(log_.get(), buffer, sizeof(buffer), offset);
    if (n <= 0) break;
    log.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
  return log;
}

}  // namespace sluice::testing
