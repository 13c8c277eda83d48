#include "broker/keeper_host.h"

#include <capnp/serialize.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "broker/helper_process.h"
#include "ipc/packet.h"
#include "keeper/keeper.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

// Formatting touches only the header and the index: this is generous.
constexpr std::chrono::seconds kReadyTimeout{30};

absl::Status Failed(std::string_view why) {
  return absl::FailedPreconditionError(StrCat("the cache keeper did not start: ", why));
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeeperHost>> KeeperHost::Start(std::size_t arena_bytes) {
  absl::StatusOr<UniqueFd> arena_fd = shm_cache::CreateArenaFile(arena_bytes);
  if (!arena_fd.ok()) {
    return absl::ResourceExhaustedError(StrCat("cannot create a cache arena of ", arena_bytes,
                                               " bytes: ", arena_fd.status().message()));
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return absl::InternalError(StrCat("socketpair: ", std::strerror(errno)));
  }
  UniqueFd broker_end(sv[0]);
  UniqueFd keeper_end(sv[1]);
  absl::StatusOr<pid_t> started =
      StartHelper({"__keeper", "--control-fd", StrCat(keeper::kControlFd), "--arena-fd",
                   StrCat(keeper::kArenaFd), "--broker-pid", StrCat(::getpid())},
                  {{keeper_end.get(), keeper::kControlFd}, {arena_fd->get(), keeper::kArenaFd}});
  if (!started.ok()) return started.status();
  pid_t pid = *started;
  keeper_end.reset();

  auto fail = [&](std::string_view why) -> absl::Status {
    KillAndReap(pid);
    return Failed(why);
  };
  absl::StatusOr<ipc::Packet> packet = ReceiveFirstPacket(broker_end.get(), kReadyTimeout);
  if (absl::IsDeadlineExceeded(packet.status())) return fail("no answer within 30 s");
  if (!packet.ok()) return fail(ToStd(packet.status().message()));
  if (packet->words.empty()) return Failed(StrCat("it exited (", ReapAndDescribe(pid), ")"));
  try {
    capnp::FlatArrayMessageReader message(kj::arrayPtr(packet->words.data(), packet->words.size()));
    if (!message.getRoot<ipc::KeeperEvent>().isReady()) return fail("unexpected first message");
  } catch (const kj::Exception& e) {
    return fail(StrCat("undecodable first message: ", e.getDescription().cStr()));
  }
  // Sealed by now, so a read-only mapping can never become writable.
  absl::StatusOr<shm_cache::Mapping> arena =
      shm_cache::Mapping::ReadOnly(arena_fd->get(), arena_bytes);
  if (!arena.ok()) return fail(ToStd(arena.status().message()));
  absl::StatusOr<shm_cache::Reader> reader = shm_cache::Reader::Attach(arena->data(), arena_bytes);
  if (!reader.ok()) return fail(ToStd(reader.status().message()));
  LogInfo("cache_keeper_started", {{"keeper_pid", pid}, {"cache_bytes", arena_bytes}});
  return std::unique_ptr<KeeperHost>(
      new KeeperHost(pid, std::move(broker_end), *std::move(arena_fd), *std::move(arena), *reader));
}

KeeperHost::~KeeperHost() {
  control_.reset();
  control_fd_.reset();
  if (pid_ > 0) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void KeeperHost::Attach(asio::io_context& io) {
  int flags = ::fcntl(control_fd_.get(), F_GETFL);
  if (flags < 0 || ::fcntl(control_fd_.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    LogSyscallError("fcntl(O_NONBLOCK)", errno, {{"fd", control_fd_.get()}});
  }
  // The descriptor stays owned by control_fd_; asio waits on a duplicate.
  int watched = ::fcntl(control_fd_.get(), F_DUPFD_CLOEXEC, 0);
  if (watched < 0) {
    LogSyscallError("fcntl(F_DUPFD_CLOEXEC)", errno, {{"fd", control_fd_.get()}});
    OnKeeperLost("cannot watch its control socket");
    return;
  }
  control_ = std::make_unique<asio::posix::stream_descriptor>(io, watched);
  WaitReadable();
}

void KeeperHost::WaitReadable() {
  control_->async_wait(asio::posix::stream_descriptor::wait_read,
                       [this](boost::system::error_code ec) {
                         if (ec == asio::error::operation_aborted) return;
                         OnReadable();
                       });
}

void KeeperHost::OnReadable() {
  for (;;) {
    absl::StatusOr<ipc::Packet> packet = ipc::ReceivePacket(control_fd_.get());
    if (!packet.ok()) {
      if (absl::IsUnavailable(packet.status())) break;
      OnKeeperLost(ToStd(packet.status().message()));
      return;
    }
    if (packet->words.empty()) {
      OnKeeperLost("control socket closed");
      return;
    }
    try {
      capnp::FlatArrayMessageReader message(
          kj::arrayPtr(packet->words.data(), packet->words.size()));
      HandleEvent(message.getRoot<ipc::KeeperEvent>());
    } catch (const kj::Exception& e) {
      OnKeeperLost(StrCat("undecodable event: ", e.getDescription().cStr()));
      return;
    }
  }
  WaitReadable();
}

void KeeperHost::HandleEvent(ipc::KeeperEvent::Reader event) {
  if (!event.isCleared()) return;
  auto cleared = event.getCleared();
  auto it = clears_.find(cleared.getTag());
  if (it == clears_.end()) return;
  ClearCallback done = std::move(it->second);
  clears_.erase(it);
  done(cleared.getEntries());
}

void KeeperHost::OnKeeperLost(std::string_view why) {
  if (lost_) return;
  lost_ = true;
  // It may still run (it sent something undecodable): make sure it ends.
  if (::kill(pid_, SIGKILL) != 0 && errno != ESRCH) LogSyscallError("kill", errno, {{"pid", pid_}});
  std::string how = ReapAndDescribe(pid_);
  pid_ = -1;
  LogError(
      "cache_keeper_lost",
      {{"why", why}, {"status", how}, {"effect", "new sessions run cached functions uncached"}});
  outbox_.clear();
  // This may run inside Clear(): report on the next turn of the loop.
  auto pending = std::make_shared<decltype(clears_)>(std::move(clears_));
  clears_.clear();
  if (control_ == nullptr) return;
  asio::post(control_->get_executor(), [pending] {
    for (auto& [tag, done] : *pending) done(absl::UnavailableError("the cache keeper is gone"));
  });
}

UniqueFd KeeperHost::NewWorkerSocket() {
  if (lost_) return UniqueFd();
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    LogSyscallError("socketpair", errno);
    return UniqueFd();  // this worker runs without the shared cache
  }
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::KeeperCommand>().setAttach();
  Queue({capnp::messageToFlatArray(message), UniqueFd(sv[1])});
  return UniqueFd(sv[0]);
}

void KeeperHost::Clear(ClearCallback done) {
  if (lost_ || control_ == nullptr) {
    auto fail = [done = std::move(done)] {
      done(absl::UnavailableError("the cache keeper is gone"));
    };
    if (control_ != nullptr) {
      asio::post(control_->get_executor(), std::move(fail));
    } else {
      fail();
    }
    return;
  }
  std::uint64_t tag = next_tag_++;
  clears_.emplace(tag, std::move(done));
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::KeeperCommand>().setClear(tag);
  Queue({capnp::messageToFlatArray(message), UniqueFd()});
}

void KeeperHost::Queue(Outgoing message) {
  outbox_.push_back(std::move(message));
  FlushQueue();
}

void KeeperHost::FlushQueue() {
  while (!outbox_.empty() && !write_waiting_ && !lost_) {
    Outgoing& next = outbox_.front();
    absl::Status sent = next.fd
                            ? ipc::SendPacketWords(control_fd_.get(), next.words, {next.fd.get()})
                            : ipc::SendPacketWords(control_fd_.get(), next.words);
    if (sent.ok()) {
      outbox_.pop_front();  // closes our copy of the keeper's end
      continue;
    }
    if (absl::IsUnavailable(sent) && control_ != nullptr) {  // full: wait for room
      write_waiting_ = true;
      control_->async_wait(asio::posix::stream_descriptor::wait_write,
                           [this](boost::system::error_code ec) {
                             write_waiting_ = false;
                             if (!ec) FlushQueue();
                           });
      return;
    }
    OnKeeperLost(ToStd(sent.message()));
    return;
  }
}

}  // namespace sluice::broker
