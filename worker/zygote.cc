#include "worker/zygote.h"

#include <capnp/serialize.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "ipc/packet.h"
#include "ipc/text.h"
#include "ipc/zygote.capnp.h"
#include "runtime/cache_runtime.h"
#include "runtime/secrets.h"
#include "sandbox/mount_view.h"
#include "sandbox/namespaces.h"
#include "shm_cache/arena.h"
#include "util/log.h"
#include "util/not_dumpable.h"
#include "util/signal_fd.h"
#include "util/strings.h"
#include "worker/app_library.h"
#include "worker/become_worker.h"
#include "worker/reaper.h"
#include "worker/stdio_pipes.h"

namespace sluice::worker {

namespace {

class Zygote {
 public:
  Zygote(const ZygoteConfig& config, const AppDescriptor* app,
         const sandbox::PreparedSandbox& sandbox, UniqueFd child_signals, UniqueFd reaper,
         UniqueFd dev_null)
      : config_(config),
        app_(app),
        sandbox_(sandbox),
        child_signals_(std::move(child_signals)),
        reaper_(std::move(reaper)),
        dev_null_(std::move(dev_null)) {}

  [[noreturn]] void Loop();

 private:
  void OnRequest();
  void Fork(std::uint64_t tag, int slot, UniqueFd session_fd, UniqueFd keeper_fd);
  void ReapChildren();
  void Send(capnp::MessageBuilder& message, pid_t credentials_pid = 0);
  void TellReaper(capnp::MessageBuilder& message, absl::Span<const int> fds = {});
  [[noreturn]] void Shutdown();

  const ZygoteConfig& config_;
  const AppDescriptor* app_;
  const sandbox::PreparedSandbox& sandbox_;
  UniqueFd child_signals_;
  UniqueFd reaper_;    // our parent's end hears of every fork and exit
  UniqueFd dev_null_;  // every worker's stdin
  // Each live child's sandbox slot (its uid, sandbox/credentials.h), as the
  // broker handed it out (unique across zygote generations).
  absl::flat_hash_map<pid_t, int> children_;
};

void Zygote::Send(capnp::MessageBuilder& message, pid_t credentials_pid) {
  if (auto status = ipc::SendPacket(config_.control_fd, message, {}, credentials_pid);
      !status.ok()) {
    // Losing the broker's control channel leaves the zygote useless.
    LogError("control_send_failed", {{"error", status.message()}});
    Shutdown();
  }
}

// The reaper must know every live worker before the broker does: if we die
// it takes them over (worker/reaper.h).
void Zygote::TellReaper(capnp::MessageBuilder& message, absl::Span<const int> fds) {
  if (auto status = ipc::SendPacket(reaper_.get(), message, fds); !status.ok()) {
    LogError("reaper_send_failed", {{"error", status.message()}});
    Shutdown();
  }
}

void Zygote::Loop() {
  for (;;) {
    pollfd fds[2] = {{config_.control_fd, POLLIN, 0}, {child_signals_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      LogSyscallError("poll", errno);
      Shutdown();
    }
    if (fds[1].revents & POLLIN) ReapChildren();
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) OnRequest();
  }
}

void Zygote::OnRequest() {
  auto packet = ipc::ReceivePacket(config_.control_fd);
  if (!packet.ok()) {
    if (absl::IsUnavailable(packet.status())) return;
    LogError("control_receive_failed", {{"error", packet.status().message()}});
    Shutdown();
  }
  if (packet->words.empty()) Shutdown();  // the broker closed the channel
  try {
    capnp::FlatArrayMessageReader message(kj::arrayPtr(packet->words.data(), packet->words.size()));
    auto request = message.getRoot<ipc::ZygoteRequest>();
    switch (request.which()) {
      case ipc::ZygoteRequest::FORK:
        Fork(request.getFork().getTag(), static_cast<int>(request.getFork().getSlot()),
             packet->TakeFd(0), packet->TakeFd(1));
        return;
      case ipc::ZygoteRequest::KILL: {
        pid_t pid = request.getKill();
        // Only our own children: a confused broker must not make us signal
        // arbitrary processes.
        if (children_.contains(pid)) ::kill(pid, SIGKILL);
        return;
      }
      case ipc::ZygoteRequest::WORKER_SESSION: {
        // For the reaper, which logs the worker's output (worker/output_reader.h).
        if (!children_.contains(request.getWorkerSession().getPid())) return;
        capnp::MallocMessageBuilder note;
        note.initRoot<ipc::ZygoteEvent>().setWorkerSession(request.getWorkerSession());
        TellReaper(note);
        return;
      }
    }
    LogWarning("unknown_zygote_request");
  } catch (const kj::Exception& e) {
    LogWarning("undecodable_zygote_request", {{"error", e.getDescription().cStr()}});
  }
}

void Zygote::Fork(std::uint64_t tag, int slot, UniqueFd session_fd, UniqueFd keeper_fd) {
  capnp::MallocMessageBuilder reply;
  auto forked = reply.initRoot<ipc::ZygoteEvent>().initForked();
  forked.setTag(tag);
  if (!session_fd.valid()) {
    forked.setError("fork request carried no session socket");
    Send(reply);
    return;
  }
  absl::StatusOr<WorkerPipes> pipes = MakeWorkerPipes();
  if (!pipes.ok()) {
    LogError("worker_pipes_failed", {{"error", pipes.status().message()}});
    absl::string_view why = pipes.status().message();  // not std::string_view in every absl
    forked.adoptError(ipc::NewText(forked, std::string_view(why.data(), why.size())));
    Send(reply);
    return;
  }
  std::fflush(nullptr);
  pid_t self = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    child_signals_.reset();
    reaper_.reset();
    BecomeWorker({std::move(session_fd), std::move(keeper_fd), UniqueFd(config_.control_fd),
                  UniqueFd(dev_null_.release()), std::move(pipes->stdout_write),
                  std::move(pipes->stderr_write), std::move(pipes->denials_write), self,
                  app_->entry, config_.max_message_bytes, &sandbox_, slot, config_.warm_heap_bytes,
                  config_.idle_trim_after});
  }
  if (pid < 0) {
    int err = errno;
    LogSyscallError("fork", err);
    forked.setError(std::strerror(err));
    Send(reply);
    return;
  }
  children_[pid] = slot;
  forked.setPid(pid);
  TellReaper(reply);
  // The read ends, in a packet of their own: if the reaper cannot take them
  // (no descriptor left), only this worker's output is lost.
  capnp::MallocMessageBuilder output;
  output.initRoot<ipc::ZygoteEvent>().setWorkerOutput(pid);
  TellReaper(output,
             {pipes->stdout_read.get(), pipes->stderr_read.get(), pipes->denials_read.get()});
  // Only from its own pid namespace do the broker and the zygote number the
  // worker differently; naming another process in credentials needs
  // CAP_SYS_ADMIN, which a zygote started without root does not have.
  Send(reply, config_.own_pid_namespace ? pid : 0);
}

void Zygote::ReapChildren() {
  signalfd_siginfo info;
  while (::read(child_signals_.get(), &info, sizeof(info)) == sizeof(info)) {
  }
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    children_.erase(pid);
    capnp::MallocMessageBuilder event;
    auto exited = event.initRoot<ipc::ZygoteEvent>().initExited();
    exited.setPid(pid);
    if (WIFSIGNALED(status)) {
      exited.setSignal(WTERMSIG(status));
    } else {
      exited.setExitCode(WEXITSTATUS(status));
    }
    Send(event);
    TellReaper(event);
  }
}

void Zygote::Shutdown() {
  for (const auto& [pid, slot] : children_) ::kill(pid, SIGKILL);
  _exit(0);
}

// The first message: ready, or why the app cannot be served.
void ReportLoad(int control_fd, const absl::StatusOr<const AppDescriptor*>& app) {
  capnp::MallocMessageBuilder message;
  auto event = message.initRoot<ipc::ZygoteEvent>();
  if (app.ok()) {
    auto ready = event.initReady();
    ready.adoptAppName(ipc::NewText(ready, (*app)->name));
  } else {
    absl::string_view why = app.status().message();
    event.adoptLoadFailed(ipc::NewText(event, std::string_view(why.data(), why.size())));
  }
  (void)ipc::SendPacket(control_fd, message);
}

// Maps the arena (when the cache is on) and prepares the cache runtime for
// every worker to come. `arena` keeps the mapping for the zygote's life.
absl::Status PrepareCache(const ZygoteConfig& config, shm_cache::Mapping* arena) {
  if (config.arena_fd >= 0) {
    UniqueFd arena_fd(config.arena_fd);
    absl::StatusOr<shm_cache::Mapping> mapped =
        shm_cache::Mapping::ReadOnly(arena_fd.get(), config.arena_bytes);
    if (!mapped.ok()) {
      return absl::Status(mapped.status().code(),
                          StrCat("cannot map the cache arena: ", mapped.status().message()));
    }
    *arena = *std::move(mapped);
  }
  absl::Status prepared = runtime::PrepareCacheInZygote(
      {arena->data(), arena->size(), config.app_path, config.cache_wait_timeout_ms});
  if (!prepared.ok()) {
    return absl::Status(prepared.code(),
                        StrCat("cannot prepare the app's caches: ", prepared.message()));
  }
  return absl::OkStatus();
}

UniqueFd WatchChildren() {
  // An ignored SIGCHLD survives exec and would make the kernel reap workers
  // before we hear of them.
  ::signal(SIGCHLD, SIG_DFL);
  UniqueFd fd = BlockIntoSignalFd({SIGCHLD});
  if (!fd) _exit(1);
  return fd;
}

// Strict level: from here on the zygote, and every worker, sees only what
// it needs (sandbox/mount_view.h).
absl::Status EnterMountView(const ZygoteConfig& config) {
  std::vector<std::string> paths = sandbox::MappedFiles();
  paths.insert(paths.end(), config.allow_read.begin(), config.allow_read.end());
  std::string how;
  if (absl::Status entered = sandbox::EnterMountView(paths, &how); !entered.ok()) {
    return absl::Status(entered.code(),
                        StrCat("cannot enter the sandbox's mount view: ", entered.message()));
  }
  LogInfo("sandbox_mount_view", {{"path", how}});
  return absl::OkStatus();
}

absl::StatusOr<sandbox::PreparedSandbox> PrepareSandbox(const ZygoteConfig& config) {
  if (config.sandbox.level == sandbox::Level::kStrict) {
    if (!config.own_pid_namespace) {
      return absl::FailedPreconditionError(
          "the strict sandbox needs the zygote's reaper as pid 1 of its own pid namespace");
    }
    if (absl::Status entered = EnterMountView(config); !entered.ok()) return entered;
  }
  absl::StatusOr<sandbox::PreparedSandbox> prepared = sandbox::PreparedSandbox::Prepare(
      config.sandbox, {config.denial_report_fd, kWorkerDenialsFd});
  if (!prepared.ok()) {
    return absl::Status(prepared.status().code(),
                        StrCat("cannot prepare the sandbox: ", prepared.status().message()));
  }
  LogInfo("sandbox_prepared",
          {{"level", sandbox::LevelName(config.sandbox.level)},
           {"seccomp_rules", prepared->filter().rules},
           {"seccomp_insns", prepared->filter().program.size()},
           {"zygote_seccomp_insns", prepared->zygote_filter().program.size()},
           {"worker_stacked_seccomp_insns", prepared->worker_over_zygote_filter().program.size()}});
  return prepared;
}

// Before the app loads, so even its preloads may use st::secrets().
absl::Status LoadSecrets(int secrets_fd) {
  if (secrets_fd < 0) return absl::OkStatus();
  UniqueFd file(secrets_fd);  // closed here: no worker inherits it
  absl::StatusOr<st::Secrets::Map> secrets = runtime::ReadSecrets(file.get(), "the secrets file");
  if (!secrets.ok()) return secrets.status();
  LogInfo("secrets_loaded", {{"keys", static_cast<std::int64_t>(secrets->size())}});
  runtime::InstallSecrets(*std::move(secrets));
  return absl::OkStatus();
}

// Allocator settings every worker inherits. An app runs top to bottom on
// every interaction and allocates much the same each time. By glibc's
// defaults a block over 128 KiB is mmapped and unmapped when freed, so the
// next run faults the same memory back in, page by page; glibc raises that
// threshold by itself only after the first such free, so each session's
// first rerun still paid (at 1,000 sessions on a VM whose faults cost 10 us
// a page, that took rerun p99 from 15-22 ms to 0.4-1.6 s). These are the values
// glibc's own heuristic can end at: blocks up to 32 MiB come from the heap,
// and up to 64 MiB of free memory at its top is kept for the next run.
void KeepRunMemoryForTheNextRun() {
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace

void RunZygote(ZygoteConfig config) {
  SetLogProcess("zygote");
  // In its own pid namespace the zygote's parent is outside it: getppid()
  // is 0 there, and the broker's death still reaches it.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
      (::getppid() != config.broker_pid && !sandbox::InOwnPidNamespace())) {
    _exit(1);
  }
  ::prctl(PR_SET_NAME, "sluice-zygote");
  KeepWorkersOutOfOurMemory();  // the reaper split off below inherits it
  ::signal(SIGPIPE, SIG_IGN);
  LogDebug("fds_closed",
           {{"method", CloseDescriptorsFrom(std::max({config.control_fd, config.arena_fd,
                                                      config.denials_fd, config.secrets_fd}) +
                                            1)}});
  // From here on this process is the zygote; its parent is the reaper.
  UniqueFd reaper = SplitOffReaper(config);

  // Before the mount view: every worker's stdin.
  UniqueFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!dev_null) {
    LogSyscallError("open(/dev/null)", errno);
    _exit(1);
  }
  shm_cache::Mapping arena;
  absl::StatusOr<sandbox::PreparedSandbox> sandbox = absl::UnknownError("not prepared");
  absl::Status secrets = LoadSecrets(config.secrets_fd);
  absl::StatusOr<const AppDescriptor*> app =
      secrets.ok() ? LoadApp(config.app_path) : absl::StatusOr<const AppDescriptor*>(secrets);
  if (app.ok()) {
    if (absl::Status prepared = PrepareCache(config, &arena); !prepared.ok()) app = prepared;
  }
  if (app.ok()) {
    sandbox = PrepareSandbox(config);
    if (!sandbox.ok()) app = sandbox.status();
  }
  ReportLoad(config.control_fd, app);
  if (!app.ok()) _exit(2);
  LogInfo("app_loaded", {{"app", (*app)->name}, {"path", config.app_path}});

  UniqueFd child_signals = WatchChildren();
  KeepRunMemoryForTheNextRun();
  // Last: from here on the zygote runs under the workers' policy plus what
  // forking them needs.
  sandbox::ContainZygote(*sandbox);
  Zygote zygote(config, *app, *sandbox, std::move(child_signals), std::move(reaper),
                std::move(dev_null));
  zygote.Loop();
}

}  // namespace sluice::worker
