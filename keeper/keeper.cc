#include "keeper/keeper.h"

#include <capnp/serialize.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "ipc/keeper.capnp.h"
#include "ipc/packet.h"
#include "keeper/cache_service.h"
#include "shm_cache/arena.h"
#include "shm_cache/reader.h"
#include "shm_cache/store.h"
#include "util/log.h"
#include "util/not_dumpable.h"
#include "util/strings.h"
#include "worker/become_worker.h"

namespace sluice::keeper {

namespace {

// epoll tags: worker ids start above these.
constexpr std::uint64_t kControlTag = 0;
constexpr std::uint64_t kTimerTag = 1;
constexpr WorkerId kFirstWorkerId = 2;

// Packets read from one worker before the others get their turn.
constexpr int kPacketsPerTurn = 32;
// How often entries expire and overdue flights end: every second, or
// twice per --cache-wait-timeout when that is shorter.
constexpr std::uint64_t kTickNs = 1'000'000'000;

itimerspec TickFor(std::uint64_t owner_timeout_ns) {
  std::uint64_t tick = kTickNs;
  if (owner_timeout_ns > 0) tick = std::clamp<std::uint64_t>(owner_timeout_ns / 2, 1'000'000, tick);
  timespec every{static_cast<time_t>(tick / kTickNs), static_cast<long>(tick % kTickNs)};
  return itimerspec{every, every};
}

[[noreturn]] void Fatal(std::string_view event, std::string_view error) {
  LogError(event, {{"error", error}});
  _exit(1);
}

void SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    LogSyscallError("fcntl(O_NONBLOCK)", errno, {{"fd", fd}});
  }
}

// One descriptor per worker: let there be as many as the hard limit allows.
void RaiseDescriptorLimit() {
  rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    LogSyscallError("getrlimit(RLIMIT_NOFILE)", errno);
    return;
  }
  if (limit.rlim_cur == limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) LogSyscallError("setrlimit(RLIMIT_NOFILE)", errno);
}

class Keeper {
 public:
  Keeper(int control_fd, shm_cache::Mapping arena, UniqueFd arena_for_workers,
         std::unique_ptr<shm_cache::Store> store, shm_cache::Reader reader,
         std::uint64_t owner_timeout_ns)
      : owner_timeout_ns_(owner_timeout_ns),
        control_fd_(control_fd),
        arena_(std::move(arena)),
        arena_for_workers_(std::move(arena_for_workers)),
        store_(std::move(store)),
        reader_(reader),
        service_(
            *store_, *reinterpret_cast<shm_cache::ArenaHeader*>(arena_.data()), reader_,
            [this](WorkerId worker, std::uint64_t claim_id, Verdict verdict) {
              Reply(worker, claim_id, verdict);
            },
            /*pins_allowed=*/arena_for_workers_.valid(), owner_timeout_ns) {}

  void SetUp();
  void SendReady();
  // Serves until the broker closes the control socket.
  void Loop();

 private:
  void Watch(int fd, std::uint64_t tag);
  bool OnControl();  // false: the broker is gone
  void HandleCommand(ipc::KeeperCommand::Reader command, ipc::Packet& packet);
  void AddWorker(UniqueFd socket);
  void OnWorker(WorkerId worker, std::uint32_t events);
  void OnTimer();
  void Reply(WorkerId worker, std::uint64_t claim_id, Verdict verdict);
  void Drop(WorkerId worker, std::string_view why, bool warn);
  void ReapDropped();
  void SendToBroker(capnp::MessageBuilder& message);

  std::uint64_t owner_timeout_ns_;
  int control_fd_;
  shm_cache::Mapping arena_;
  // A read-only descriptor of the sealed arena, sent with each pin so the
  // worker can map the pinned bytes MAP_PRIVATE; invalid: pins are refused.
  UniqueFd arena_for_workers_;
  std::unique_ptr<shm_cache::Store> store_;
  shm_cache::Reader reader_;
  CacheService service_;
  UniqueFd epoll_;
  UniqueFd timer_;
  WorkerId next_worker_ = kFirstWorkerId;
  absl::flat_hash_map<WorkerId, UniqueFd> workers_;
  // Dropped during this turn of the loop; their flights pass on at its end,
  // so that a reply that fails never re-enters the service.
  std::vector<WorkerId> dropped_;
};

void Keeper::SetUp() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) Fatal("keeper_setup_failed", StrCat("epoll_create1: ", std::strerror(errno)));
  timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_) Fatal("keeper_setup_failed", StrCat("timerfd_create: ", std::strerror(errno)));
  itimerspec every = TickFor(owner_timeout_ns_);
  if (::timerfd_settime(timer_.get(), 0, &every, nullptr) != 0) {
    Fatal("keeper_setup_failed", StrCat("timerfd_settime: ", std::strerror(errno)));
  }
  Watch(control_fd_, kControlTag);
  Watch(timer_.get(), kTimerTag);
}

void Keeper::Watch(int fd, std::uint64_t tag) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
    Fatal("keeper_setup_failed", StrCat("epoll_ctl(ADD): ", std::strerror(errno)));
  }
}

void Keeper::SendReady() {
  capnp::MallocMessageBuilder message;
  auto ready = message.initRoot<ipc::KeeperEvent>().initReady();
  const auto* header = reinterpret_cast<const shm_cache::ArenaHeader*>(arena_.data());
  ready.setSlotCount(header->slot_count);
  ready.setDataBytes(header->data_size);
  SendToBroker(message);
}

void Keeper::SendToBroker(capnp::MessageBuilder& message) {
  // The control socket is blocking: the broker always reads it.
  if (absl::Status sent = ipc::SendPacket(control_fd_, message); !sent.ok()) {
    Fatal("keeper_control_send_failed", ToStd(sent.message()));
  }
}

void Keeper::Loop() {
  epoll_event events[64];
  for (;;) {
    int n = ::epoll_wait(epoll_.get(), events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      Fatal("keeper_epoll_failed", std::strerror(errno));
    }
    for (int i = 0; i < n; ++i) {
      switch (events[i].data.u64) {
        case kControlTag:
          if (!OnControl()) return;
          break;
        case kTimerTag:
          OnTimer();
          break;
        default:
          OnWorker(events[i].data.u64, events[i].events);
          break;
      }
    }
    ReapDropped();
  }
}

bool Keeper::OnControl() {
  absl::StatusOr<ipc::Packet> packet = ipc::ReceivePacket(control_fd_);
  if (!packet.ok()) {
    if (absl::IsUnavailable(packet.status())) return true;
    LogError("keeper_control_receive_failed", {{"error", packet.status().message()}});
    return false;
  }
  if (packet->words.empty()) {
    LogDebug("keeper_stopping", {{"why", "the broker closed the control socket"}});
    return false;
  }
  try {
    capnp::FlatArrayMessageReader message(kj::arrayPtr(packet->words.data(), packet->words.size()));
    HandleCommand(message.getRoot<ipc::KeeperCommand>(), *packet);
  } catch (const kj::Exception& e) {
    LogError("keeper_bad_command", {{"error", e.getDescription().cStr()}});
  }
  return true;
}

void Keeper::HandleCommand(ipc::KeeperCommand::Reader command, ipc::Packet& packet) {
  switch (command.which()) {
    case ipc::KeeperCommand::ATTACH:
      if (packet.fds.size() != 1) {
        LogError("keeper_bad_command", {{"error", "attach without exactly one descriptor"}});
        return;
      }
      AddWorker(packet.TakeFd());
      return;
    case ipc::KeeperCommand::CLEAR: {
      std::uint64_t removed = service_.ClearAll();
      capnp::MallocMessageBuilder message;
      auto cleared = message.initRoot<ipc::KeeperEvent>().initCleared();
      cleared.setTag(command.getClear());
      cleared.setEntries(removed);
      SendToBroker(message);
      return;
    }
  }
  LogError("keeper_bad_command", {{"error", "unknown command"}});
}

void Keeper::AddWorker(UniqueFd socket) {
  SetNonBlocking(socket.get());
  WorkerId worker = next_worker_++;
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = worker;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, socket.get(), &event) != 0) {
    LogSyscallError("epoll_ctl(ADD)", errno, {{"worker", worker}});
    return;  // closing the socket tells the worker it has no keeper
  }
  workers_.emplace(worker, std::move(socket));
  LogDebug("cache_worker_attached", {{"worker", worker}, {"workers", workers_.size()}});
}

void Keeper::OnWorker(WorkerId worker, std::uint32_t events) {
  auto it = workers_.find(worker);
  if (it == workers_.end()) return;  // dropped earlier in this turn
  int fd = it->second.get();
  for (int i = 0; i < kPacketsPerTurn; ++i) {
    absl::StatusOr<ipc::Packet> packet = ipc::ReceivePacket(fd);
    if (!packet.ok()) {
      if (!absl::IsUnavailable(packet.status())) {
        Drop(worker, ToStd(packet.status().message()), /*warn=*/true);
      } else if ((events & (EPOLLHUP | EPOLLERR)) != 0) {
        Drop(worker, "hung up", /*warn=*/false);
      }
      return;
    }
    if (packet->words.empty()) {
      Drop(worker, "hung up", /*warn=*/false);
      return;
    }
    absl::Status handled =
        service_.HandlePacket(worker, *std::move(packet), shm_cache::MonotonicNowNs());
    if (!handled.ok()) {
      Drop(worker, ToStd(handled.message()), /*warn=*/true);
      return;
    }
    if (!workers_.contains(worker)) return;  // a reply to it failed
  }
}

void Keeper::OnTimer() {
  std::uint64_t expirations;
  if (::read(timer_.get(), &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) {
    LogSyscallError("read(timerfd)", errno);
  }
  service_.Expire(shm_cache::MonotonicNowNs());
}

void Keeper::Reply(WorkerId worker, std::uint64_t claim_id, Verdict verdict) {
  auto it = workers_.find(worker);
  if (it == workers_.end()) return;
  capnp::MallocMessageBuilder message(16);
  auto reply = message.initRoot<ipc::CacheReply>();
  reply.setId(claim_id);
  int attached = -1;
  switch (verdict) {
    case Verdict::kCompute:
      reply.setCompute();
      break;
    case Verdict::kReady:
      reply.setReady();
      break;
    case Verdict::kPinned:
      reply.setPinned();
      attached = arena_for_workers_.get();
      break;
    case Verdict::kRefused:
      reply.setRefused();
      break;
  }
  absl::Status sent = attached >= 0 ? ipc::SendPacket(it->second.get(), message, {attached})
                                    : ipc::SendPacket(it->second.get(), message);
  if (sent.ok()) return;
  // A worker that does not read its replies must not make the keeper wait;
  // any other failure means it is gone (EPIPE).
  bool full = absl::IsUnavailable(sent);
  Drop(worker, full ? "its socket is full" : ToStd(sent.message()), /*warn=*/full);
}

void Keeper::Drop(WorkerId worker, std::string_view why, bool warn) {
  auto it = workers_.find(worker);
  if (it == workers_.end()) return;
  if (warn) {
    LogWarning("cache_worker_dropped", {{"worker", worker}, {"why", why}});
  } else {
    LogDebug("cache_worker_gone", {{"worker", worker}, {"why", why}});
  }
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.get(), nullptr) != 0) {
    LogSyscallError("epoll_ctl(DEL)", errno, {{"worker", worker}});
  }
  workers_.erase(it);
  dropped_.push_back(worker);
}

void Keeper::ReapDropped() {
  // WorkerGone may hand a key to a worker whose reply then fails, which
  // drops that one too: go on until nothing is left.
  while (!dropped_.empty()) {
    WorkerId worker = dropped_.back();
    dropped_.pop_back();
    service_.WorkerGone(worker, shm_cache::MonotonicNowNs());
  }
}

}  // namespace

void RunKeeper(const KeeperConfig& config) {
  SetLogProcess("keeper");
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != config.broker_pid) _exit(1);
  ::prctl(PR_SET_NAME, "sluice-keeper");
  KeepWorkersOutOfOurMemory();
  // Its life is the broker's: a Ctrl-C or a SIGTERM to the whole group must
  // not end it before the broker, which closes the control socket last.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) LogSyscallError("sigprocmask", errno);
  LogDebug(
      "fds_closed",
      {{"method", worker::CloseDescriptorsFrom(std::max(config.control_fd, config.arena_fd) + 1)}});
  RaiseDescriptorLimit();

  UniqueFd arena_fd(config.arena_fd);
  struct stat st;
  if (::fstat(arena_fd.get(), &st) != 0) {
    Fatal("keeper_setup_failed", StrCat("fstat(arena): ", std::strerror(errno)));
  }
  auto bytes = static_cast<std::size_t>(st.st_size);
  absl::StatusOr<shm_cache::Mapping> arena = shm_cache::Mapping::Writable(arena_fd.get(), bytes);
  if (!arena.ok()) Fatal("keeper_setup_failed", ToStd(arena.status().message()));
  absl::StatusOr<std::unique_ptr<shm_cache::Store>> store =
      shm_cache::Store::Format(arena->data(), bytes);
  if (!store.ok()) Fatal("keeper_setup_failed", ToStd(store.status().message()));
  // From here on nobody else can map the arena writable.
  if (absl::Status sealed = shm_cache::SealArena(arena_fd.get()); !sealed.ok()) {
    Fatal("keeper_setup_failed", ToStd(sealed.message()));
  }
  // Workers that pin an entry map it through their own read-only
  // descriptor: a new open of the sealed file, not the keeper's writable one.
  UniqueFd arena_for_workers(
      ::open(StrCat("/proc/self/fd/", arena_fd.get()).c_str(), O_RDONLY | O_CLOEXEC));
  if (!arena_for_workers.valid()) {
    LogWarning("cache_pins_off",
               {{"error", StrCat("cannot reopen the arena read-only: ", std::strerror(errno))}});
  }
  arena_fd.reset();
  absl::StatusOr<shm_cache::Reader> reader = shm_cache::Reader::Attach(arena->data(), bytes);
  if (!reader.ok()) Fatal("keeper_setup_failed", ToStd(reader.status().message()));

  {
    Keeper keeper(config.control_fd, *std::move(arena), std::move(arena_for_workers),
                  *std::move(store), *reader, config.owner_timeout_ms * 1'000'000);
    keeper.SetUp();
    keeper.SendReady();
    LogInfo("cache_keeper_ready", {{"arena_bytes", bytes}});
    keeper.Loop();
  }
  std::exit(0);
}

}  // namespace sluice::keeper
