#include "broker/zygote_host.h"

#include <capnp/serialize.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "broker/helper_process.h"
#include "ipc/packet.h"
#include "ipc/text.h"
#include "ipc/zygote.capnp.h"
#include "sandbox/namespaces.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

constexpr std::chrono::seconds kLoadTimeout{60};

}  // namespace

absl::StatusOr<SpawnedZygote> ZygoteHost::Spawn(const ZygoteLaunch& launch) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return absl::InternalError(StrCat("socketpair: ", std::strerror(errno)));
  }
  UniqueFd broker_end(sv[0]);
  UniqueFd zygote_end(sv[1]);
  // The zygote names each new worker in credentials, which the kernel
  // translates out of its pid namespace (strict level) into ours.
  int on = 1;
  if (::setsockopt(broker_end.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0) {
    return absl::InternalError(StrCat("setsockopt(SO_PASSCRED): ", std::strerror(errno)));
  }

  std::vector<std::string> args = {
      "__zygote",         "--control-fd",        StrCat(kZygoteControlFd),        "--broker-pid",
      StrCat(::getpid()), "--max-message-bytes", StrCat(launch.max_message_bytes)};
  std::vector<FdPlacement> fds = {{zygote_end.get(), kZygoteControlFd}};
  if (launch.arena_fd >= 0) {
    args.insert(args.end(), {"--arena-fd", StrCat(kZygoteArenaFd), "--arena-bytes",
                             StrCat(launch.arena_bytes), "--cache-wait-timeout-ms",
                             StrCat(absl::ToInt64Milliseconds(launch.cache_wait_timeout))});
    fds.push_back({launch.arena_fd, kZygoteArenaFd});
  }
  if (launch.denials_fd >= 0) {
    args.insert(args.end(), {"--denials-fd", StrCat(kZygoteDenialsFd)});
    fds.push_back({launch.denials_fd, kZygoteDenialsFd});
  }
  if (launch.secrets_fd >= 0) {
    args.insert(args.end(), {"--secrets-fd", StrCat(kZygoteSecretsFd)});
    fds.push_back({launch.secrets_fd, kZygoteSecretsFd});
  }
  args.insert(args.end(),
              {"--sandbox", std::string(sandbox::LevelName(launch.sandbox.level)),
               "--worker-memory-bytes", StrCat(launch.sandbox.memory_bytes), "--rerun-timeout-ms",
               StrCat(absl::ToInt64Milliseconds(launch.sandbox.rerun_timeout))});
  for (const std::string& path : launch.allow_read) args.insert(args.end(), {"--allow-read", path});
  args.insert(args.end(),
              {"--app-output-lines-per-second", StrCat(launch.output.lines_per_second),
               "--app-output-line-bytes", StrCat(launch.output.line_bytes),
               "--max-denials-per-worker", StrCat(launch.output.denials_per_worker),
               "--warm-heap-bytes", StrCat(launch.warm_heap_bytes), "--idle-trim-after-ms",
               StrCat(absl::ToInt64Milliseconds(launch.idle_trim_after))});
  constexpr const char* kLogLevels[] = {"debug", "info", "warning", "error"};
  args.insert(args.end(), {"--log-level", kLogLevels[static_cast<int>(launch.log_level)]});
  args.push_back(launch.app_path);
  int namespaces =
      launch.sandbox.level == sandbox::Level::kStrict ? sandbox::ZygoteCloneFlags() : 0;
  // Every library call site bound once, in the zygote: lazily bound, each
  // worker would resolve them again on first use, through the dynamic
  // linker's symbol lookup, faulting in hash tables and writing its own
  // copy of each GOT page (~60 of a hello worker's first ~330 page faults;
  // bench/backbone_bench's start-faults rows).
  absl::StatusOr<pid_t> started = StartHelper(args, fds, namespaces, {"LD_BIND_NOW=1"});
  if (!started.ok()) return started.status();
  pid_t pid = *started;
  zygote_end.reset();

  return SpawnedZygote{pid, std::move(broker_end), (namespaces & CLONE_NEWPID) != 0};
}

absl::StatusOr<std::unique_ptr<ZygoteHost>> ZygoteHost::Start(const ZygoteLaunch& launch) {
  absl::StatusOr<SpawnedZygote> spawned = Spawn(launch);
  if (!spawned.ok()) return spawned.status();
  int control = spawned->control.get();
  return Finish(*std::move(spawned), ReceiveFirstPacket(control, kLoadTimeout));
}

absl::StatusOr<std::unique_ptr<ZygoteHost>> ZygoteHost::Finish(SpawnedZygote spawned,
                                                               absl::StatusOr<ipc::Packet> packet) {
  pid_t pid = spawned.pid;
  auto fail = [&](std::string why) -> absl::Status {
    KillAndReap(pid);
    return absl::FailedPreconditionError(why);
  };
  if (absl::IsDeadlineExceeded(packet.status())) {
    return fail("the zygote did not load the app within 60 s");
  }
  if (!packet.ok()) return fail(std::string(packet.status().message()));
  if (packet->words.empty()) {
    return absl::FailedPreconditionError(
        StrCat("the zygote exited before loading the app (", ReapAndDescribe(pid), ")"));
  }
  std::string name;
  try {
    capnp::FlatArrayMessageReader message(kj::arrayPtr(packet->words.data(), packet->words.size()));
    auto event = message.getRoot<ipc::ZygoteEvent>();
    if (event.isLoadFailed()) return fail(std::string(ipc::ViewOf(event.getLoadFailed())));
    if (event.isZygoteExited()) {
      return fail(StrCat("the zygote exited before loading the app (",
                         event.getZygoteExited().getSignal() != 0
                             ? StrCat("killed by signal ", event.getZygoteExited().getSignal())
                             : StrCat("exit code ", event.getZygoteExited().getExitCode()),
                         ")"));
    }
    if (!event.isReady()) return fail("the zygote sent an unexpected first message");
    name = ipc::ViewOf(event.getReady().getAppName());
  } catch (const kj::Exception& e) {
    return fail(StrCat("the zygote's first message is undecodable: ", e.getDescription().cStr()));
  }
  LogInfo("zygote_started", {{"reaper_pid", pid}, {"app", name}});
  return std::unique_ptr<ZygoteHost>(
      new ZygoteHost(pid, std::move(spawned.control), std::move(name), spawned.own_pid_namespace));
}

ZygoteHost::ZygoteHost(pid_t pid, UniqueFd control, std::string app_name, bool own_pid_namespace)
    : pid_(pid),
      app_name_(std::move(app_name)),
      own_pid_namespace_(own_pid_namespace),
      channel_(
          std::move(control),
          [this](capnp::MessageReader& message) {
            HandleEvent(message.getRoot<ipc::ZygoteEvent>());
          },
          [this](std::string_view why) { OnZygoteLost(why); }) {}

ZygoteHost::~ZygoteHost() {
  // Closing the control socket makes the zygote kill its workers and exit.
  channel_.Close();
  if (pid_ > 0) {
    int status = 0;
    if (::waitpid(pid_, &status, 0) < 0 && errno != ECHILD) LogSyscallError("waitpid", errno);
  }
}

void ZygoteHost::Attach(asio::io_context& io, ExitCallback on_exit, LostCallback on_lost) {
  on_exit_ = std::move(on_exit);
  on_lost_ = std::move(on_lost);
  if (!channel_.Attach(io)) std::abort();  // the broker cannot work without its zygote channel
}

void ZygoteHost::HandleEvent(ipc::ZygoteEvent::Reader event) {
  switch (event.which()) {
    case ipc::ZygoteEvent::FORKED: {
      auto forked = event.getForked();
      auto it = pending_.find(forked.getTag());
      if (it == pending_.end()) return;
      PendingFork fork = std::move(it->second);
      pending_.erase(it);
      if (forked.getPid() <= 0) {
        fork.done(absl::ResourceExhaustedError(
            StrCat("could not fork a worker: ", ipc::ViewOf(forked.getError()))));
        return;
      }
      pid_t zygote_pid = forked.getPid();
      pid_t pid = own_pid_namespace_ ? channel_.message_credentials_pid() : zygote_pid;
      if (pid <= 0) {
        // The zygote could not name it (cannot happen with the zygote's own
        // code): a worker we cannot find is one we could not account for.
        LogError("worker_pid_untranslated", {{"zygote_pid", zygote_pid}});
        pid = zygote_pid;
      }
      workers_[pid] = zygote_pid;
      broker_pid_of_[zygote_pid] = pid;
      fork.done(ForkedWorker{pid, std::move(fork.broker_end)});
      return;
    }
    case ipc::ZygoteEvent::EXITED: {
      auto exited = event.getExited();
      auto it = broker_pid_of_.find(exited.getPid());
      if (it == broker_pid_of_.end()) return;
      pid_t pid = it->second;
      broker_pid_of_.erase(it);
      workers_.erase(pid);
      if (on_exit_) on_exit_(pid, exited.getExitCode(), exited.getSignal());
      return;
    }
    case ipc::ZygoteEvent::ZYGOTE_EXITED:
      OnZygoteExited(event.getZygoteExited());
      return;
    case ipc::ZygoteEvent::READY:
    case ipc::ZygoteEvent::LOAD_FAILED:
    case ipc::ZygoteEvent::WORKER_OUTPUT:  // zygote -> reaper only
    case ipc::ZygoteEvent::WORKER_SESSION:
      return;
  }
}

// Runs once, from the channel; the reaper goes on serving the survivors.
void ZygoteHost::OnZygoteExited(ipc::ZygoteEvent::ZygoteExited::Reader exited) {
  if (zygote_gone_) return;
  zygote_gone_ = true;
  absl::flat_hash_set<pid_t> survivors;
  for (pid_t zygote_pid : exited.getSurvivors()) {
    if (auto it = broker_pid_of_.find(zygote_pid); it != broker_pid_of_.end()) {
      survivors.insert(it->second);
    }
  }
  LogError("zygote_crashed", {{"reaper_pid", pid_},
                              {"exit_code", exited.getExitCode()},
                              {"signal", exited.getSignal()},
                              {"surviving_workers", static_cast<int>(survivors.size())},
                              {"workers", static_cast<int>(workers_.size())}});
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [tag, fork] : pending) fork.done(absl::UnavailableError("the zygote is gone"));
  // Workers it had that the reaper does not know of ended unreported.
  std::vector<pid_t> gone;
  for (const auto& [pid, zygote_pid] : workers_) {
    if (!survivors.contains(pid)) gone.push_back(pid);
  }
  for (pid_t pid : gone) {
    broker_pid_of_.erase(workers_[pid]);
    workers_.erase(pid);
    if (on_exit_) on_exit_(pid, 0, SIGKILL);
  }
  if (on_lost_) on_lost_();
}

// Runs once, from the channel.
void ZygoteHost::OnZygoteLost(std::string_view why) {
  std::string how = KillReapAndDescribe(pid_);
  pid_ = -1;
  LogError("zygote_lost", {{"why", why}, {"status", how}});
  // This may run inside Fork() or Kill(): report on the next turn of the loop.
  auto pending = std::make_shared<decltype(pending_)>(std::move(pending_));
  decltype(workers_) workers = std::move(workers_);
  pending_.clear();
  workers_.clear();
  broker_pid_of_.clear();
  Defer([this, pending, workers = std::move(workers)] {
    for (auto& [tag, fork] : *pending) fork.done(absl::UnavailableError("the zygote is gone"));
    // Its reaper is gone: at strict its workers died with it (it was pid 1
    // of their pid namespace); at standard they have no parent-death
    // signal and end once they notice their session socket closed. Report
    // them as killed either way (ZygoteGenerations keeps their uids out of
    // use).
    for (const auto& [pid, zygote_pid] : workers) {
      if (on_exit_) on_exit_(pid, 0, SIGKILL);
    }
    if (on_lost_) on_lost_();
  });
}

void ZygoteHost::Defer(std::function<void()> work) {
  asio::post(channel_.executor(), std::move(work));
}

void ZygoteHost::Fork(UniqueFd keeper_socket, int slot, ForkCallback done) {
  if (zygote_gone()) {
    Defer([done = std::move(done)] { done(absl::UnavailableError("the zygote is gone")); });
    return;
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    int err = errno;
    LogSyscallError("socketpair", err);
    Defer([done = std::move(done), err] {
      done(absl::ResourceExhaustedError(StrCat("socketpair: ", std::strerror(err))));
    });
    return;
  }
  std::uint64_t tag = next_tag_++;
  pending_.emplace(tag, PendingFork{UniqueFd(sv[0]), std::move(done)});
  capnp::MallocMessageBuilder message;
  auto fork = message.initRoot<ipc::ZygoteRequest>().initFork();
  fork.setTag(tag);
  fork.setSlot(static_cast<std::uint32_t>(slot));
  std::vector<UniqueFd> fds;
  fds.emplace_back(sv[1]);
  if (keeper_socket) fds.push_back(std::move(keeper_socket));
  channel_.Send(capnp::messageToFlatArray(message), std::move(fds));
}

void ZygoteHost::NameWorker(pid_t pid, std::string_view session) {
  auto it = workers_.find(pid);
  if (channel_.lost() || it == workers_.end()) return;
  capnp::MallocMessageBuilder message;
  auto named = message.initRoot<ipc::ZygoteRequest>().initWorkerSession();
  named.setPid(it->second);
  named.adoptSession(ipc::NewText(named, session));
  named.setBrokerPid(pid);
  channel_.Send(capnp::messageToFlatArray(message));
}

void ZygoteHost::Kill(pid_t pid) {
  auto it = workers_.find(pid);
  if (channel_.lost() || it == workers_.end()) return;
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::ZygoteRequest>().setKill(it->second);
  channel_.Send(capnp::messageToFlatArray(message));
}

}  // namespace sluice::broker
