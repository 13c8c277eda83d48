#include "broker/keeper_host.h"

#include <capnp/serialize.h>
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

absl::StatusOr<std::unique_ptr<KeeperHost>> KeeperHost::Start(std::size_t arena_bytes,
                                                              absl::Duration wait_timeout) {
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
                   StrCat(keeper::kArenaFd), "--broker-pid", StrCat(::getpid()),
                   "--wait-timeout-ms", StrCat(absl::ToInt64Milliseconds(wait_timeout))},
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

KeeperHost::KeeperHost(pid_t pid, UniqueFd control, UniqueFd arena_fd, shm_cache::Mapping arena,
                       shm_cache::Reader reader)
    : pid_(pid),
      arena_fd_(std::move(arena_fd)),
      arena_(std::move(arena)),
      reader_(reader),
      channel_(
          std::move(control),
          [this](capnp::MessageReader& message) {
            HandleEvent(message.getRoot<ipc::KeeperEvent>());
          },
          [this](std::string_view why) { OnKeeperLost(why); }) {}

KeeperHost::~KeeperHost() {
  channel_.Close();
  if (pid_ > 0) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void KeeperHost::Attach(asio::io_context& io) {
  if (!channel_.Attach(io)) channel_.Lose("cannot watch its control socket");
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

// Runs once, from the channel.
void KeeperHost::OnKeeperLost(std::string_view why) {
  std::string how = KillReapAndDescribe(pid_);
  pid_ = -1;
  LogError(
      "cache_keeper_lost",
      {{"why", why}, {"status", how}, {"effect", "new sessions run cached functions uncached"}});
  // This may run inside Clear(): report on the next turn of the loop.
  auto pending = std::make_shared<decltype(clears_)>(std::move(clears_));
  clears_.clear();
  if (!channel_.attached()) return;
  asio::post(channel_.executor(), [pending] {
    for (auto& [tag, done] : *pending) done(absl::UnavailableError("the cache keeper is gone"));
  });
}

UniqueFd KeeperHost::NewWorkerSocket() {
  if (channel_.lost()) return UniqueFd();
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    LogSyscallError("socketpair", errno);
    return UniqueFd();  // this worker runs without the shared cache
  }
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::KeeperCommand>().setAttach();
  std::vector<UniqueFd> keeper_end;
  keeper_end.emplace_back(sv[1]);  // closed here once sent
  channel_.Send(capnp::messageToFlatArray(message), std::move(keeper_end));
  return UniqueFd(sv[0]);
}

void KeeperHost::Clear(ClearCallback done) {
  if (channel_.lost() || !channel_.attached()) {
    auto fail = [done = std::move(done)] {
      done(absl::UnavailableError("the cache keeper is gone"));
    };
    if (channel_.attached()) {
      asio::post(channel_.executor(), std::move(fail));
    } else {
      fail();
    }
    return;
  }
  std::uint64_t tag = next_tag_++;
  clears_.emplace(tag, std::move(done));
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::KeeperCommand>().setClear(tag);
  channel_.Send(capnp::messageToFlatArray(message));
}

}  // namespace sluice::broker
