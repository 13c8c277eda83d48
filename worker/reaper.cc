#include "worker/reaper.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "ipc/packet.h"
#include "ipc/text.h"
#include "ipc/zygote.capnp.h"
#include "sandbox/namespaces.h"
#include "util/log.h"
#include "util/signal_fd.h"
#include "worker/output_reader.h"
#include "worker/reaper_counters.h"
#include "worker/stdio_pipes.h"

namespace sluice::worker {

namespace {

// The broker's death, as the reaper hears it where it is not pid 1 of its
// own pid namespace (there it is SIGKILL, and the kernel ends the rest).
// Not SIGTERM: a service manager may send that to every process of the
// service while the broker drains, and the reaper must then keep the
// workers running.
constexpr int kBrokerDiedSignal = SIGUSR1;

class Reaper {
 public:
  Reaper(int control_fd, pid_t zygote, UniqueFd zygote_link, UniqueFd signals, OutputReader& output)
      : control_fd_(control_fd),
        zygote_(zygote),
        zygote_link_(std::move(zygote_link)),
        signals_(std::move(signals)),
        output_(output) {}

  [[noreturn]] void Loop();

 private:
  void OnZygoteLink();
  void OnZygoteEvent(ipc::ZygoteEvent::Reader event, ipc::Packet& packet);
  void OnSignals();
  void ReapChildren();
  void OnZygoteExited(int status);
  void OnRequest();
  void SendToBroker(capnp::MessageBuilder& message);
  [[noreturn]] void EndAll();

  int control_fd_;
  pid_t zygote_;
  bool zygote_alive_ = true;
  UniqueFd zygote_link_;  // Forked and Exited events from the zygote
  UniqueFd signals_;      // SIGCHLD and kBrokerDiedSignal
  // The zygote's live workers as it told us; after its death, ours.
  absl::flat_hash_set<pid_t> workers_;
  OutputReader& output_;  // what the workers print and report
};

void SetExitStatus(ipc::ZygoteEvent::Exited::Builder exited, int status) {
  if (WIFSIGNALED(status)) {
    exited.setSignal(WTERMSIG(status));
  } else {
    exited.setExitCode(WEXITSTATUS(status));
  }
}

void Reaper::Loop() {
  ReapChildren();  // a SIGCHLD that came before the signalfd existed
  for (;;) {
    pollfd fds[4] = {{signals_.get(), POLLIN, 0},
                     // While the zygote lives the control socket is its to
                     // read; the reaper only notices the broker closing it.
                     {control_fd_, static_cast<short>(zygote_alive_ ? 0 : POLLIN), 0},
                     {zygote_link_ ? zygote_link_.get() : -1, POLLIN, 0},
                     {output_.fd(), POLLIN, 0}};
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      LogSyscallError("poll", errno);
      EndAll();
    }
    // The zygote's news first: a worker's pipes and session before its output.
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) OnZygoteLink();
    if (fds[3].revents & POLLIN) output_.OnReadable();
    if (fds[0].revents & POLLIN) OnSignals();
    if (!zygote_alive_ && (fds[1].revents & POLLIN)) {
      OnRequest();
    } else if (fds[1].revents & (POLLHUP | POLLERR)) {
      EndAll();  // the broker closed the channel: shutting down
    }
  }
}

void Reaper::OnZygoteLink() {
  for (;;) {
    absl::StatusOr<ipc::Packet> packet = ipc::ReceivePacket(zygote_link_.get());
    if (!packet.ok() && absl::IsUnavailable(packet.status())) return;
    if (!packet.ok() && absl::IsDataLoss(packet.status())) {
      // A worker's pipes that found no free descriptor here: its output is
      // lost (its writes fail), nothing else.
      LogError("zygote_event_lost", {{"error", packet.status().message()}});
      continue;
    }
    if (!packet.ok() || packet->words.empty()) {
      zygote_link_.reset();  // the zygote is gone (or broke the link)
      return;
    }
    try {
      capnp::FlatArrayMessageReader message(
          kj::arrayPtr(packet->words.data(), packet->words.size()));
      OnZygoteEvent(message.getRoot<ipc::ZygoteEvent>(), *packet);
    } catch (const kj::Exception& e) {
      LogWarning("undecodable_zygote_event", {{"error", e.getDescription().cStr()}});
    }
  }
}

void Reaper::OnZygoteEvent(ipc::ZygoteEvent::Reader event, ipc::Packet& packet) {
  switch (event.which()) {
    case ipc::ZygoteEvent::FORKED:
      if (event.getForked().getPid() > 0) workers_.insert(event.getForked().getPid());
      return;
    case ipc::ZygoteEvent::EXITED:
      workers_.erase(event.getExited().getPid());
      output_.WorkerExited(event.getExited().getPid());
      return;
    case ipc::ZygoteEvent::WORKER_OUTPUT:
      output_.AddWorker(event.getWorkerOutput(), packet.TakeFd(0), packet.TakeFd(1),
                        packet.TakeFd(2));
      return;
    case ipc::ZygoteEvent::WORKER_SESSION: {
      auto named = event.getWorkerSession();
      output_.NameWorker(named.getPid(), std::string(ipc::ViewOf(named.getSession())),
                         named.getBrokerPid());
      return;
    }
    default:
      return;
  }
}

void Reaper::OnSignals() {
  signalfd_siginfo info;
  bool broker_died = false;
  while (::read(signals_.get(), &info, sizeof(info)) == sizeof(info)) {
    if (static_cast<int>(info.ssi_signo) == kBrokerDiedSignal) broker_died = true;
  }
  if (broker_died) EndAll();
  ReapChildren();
}

void Reaper::ReapChildren() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    if (pid == zygote_) {
      OnZygoteExited(status);
      continue;
    }
    // An orphaned worker (only the zygote's death gives us any).
    workers_.erase(pid);
    output_.WorkerExited(pid);
    capnp::MallocMessageBuilder event;
    auto exited = event.initRoot<ipc::ZygoteEvent>().initExited();
    exited.setPid(pid);
    SetExitStatus(exited, status);
    SendToBroker(event);
  }
  if (!zygote_alive_ && workers_.empty()) {
    LogInfo("reaper_done");
    _exit(0);
  }
}

// Whether the broker closed (or lost) the control socket.
bool BrokerHungUp(int control_fd) {
  pollfd control{control_fd, 0, 0};
  return ::poll(&control, 1, 0) == 1 && (control.revents & (POLLHUP | POLLERR)) != 0;
}

void Reaper::OnZygoteExited(int status) {
  zygote_alive_ = false;
  output_.WorkerExited(zygote_);  // its last denial reports
  // The broker ended this generation (a shutdown, a retired zygote): the
  // zygote exited because of that, not a crash.
  if (BrokerHungUp(control_fd_)) EndAll();
  if (zygote_link_) OnZygoteLink();  // what it said before it died
  zygote_link_.reset();
  // Forks it told us of but reaped itself (its last reports may be lost)
  // are no children of ours: leave them out.
  std::vector<pid_t> survivors;
  for (auto it = workers_.begin(); it != workers_.end();) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(*it), &info, WEXITED | WNOHANG | WNOWAIT) != 0 &&
        errno == ECHILD) {
      output_.WorkerExited(*it);  // what it printed last, and its place in the reader
      workers_.erase(it++);
      continue;
    }
    survivors.push_back(*it);
    ++it;
  }
  LogError("zygote_exited", {{"exit_code", WIFEXITED(status) ? WEXITSTATUS(status) : -1},
                             {"signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0},
                             {"surviving_workers", static_cast<int>(survivors.size())}});
  capnp::MallocMessageBuilder event;
  auto exited = event.initRoot<ipc::ZygoteEvent>().initZygoteExited();
  exited.setExitCode(WIFEXITED(status) ? WEXITSTATUS(status) : 0);
  exited.setSignal(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  auto list = exited.initSurvivors(static_cast<unsigned>(survivors.size()));
  for (unsigned i = 0; i < survivors.size(); ++i) list.set(i, survivors[i]);
  SendToBroker(event);
}

void Reaper::OnRequest() {
  absl::StatusOr<ipc::Packet> packet = ipc::ReceivePacket(control_fd_);
  if (!packet.ok()) {
    if (absl::IsUnavailable(packet.status())) return;
    LogError("control_receive_failed", {{"error", packet.status().message()}});
    EndAll();
  }
  if (packet->words.empty()) EndAll();  // the broker closed the channel
  try {
    capnp::FlatArrayMessageReader message(kj::arrayPtr(packet->words.data(), packet->words.size()));
    auto request = message.getRoot<ipc::ZygoteRequest>();
    if (request.isKill()) {
      // Only our own children: nothing else may be signalled on request.
      if (workers_.contains(request.getKill())) ::kill(request.getKill(), SIGKILL);
      return;
    }
    if (request.isWorkerSession()) {
      auto named = request.getWorkerSession();
      if (workers_.contains(named.getPid())) {
        output_.NameWorker(named.getPid(), std::string(ipc::ViewOf(named.getSession())),
                           named.getBrokerPid());
      }
      return;
    }
    if (request.isFork()) {
      capnp::MallocMessageBuilder reply;
      auto forked = reply.initRoot<ipc::ZygoteEvent>().initForked();
      forked.setTag(request.getFork().getTag());
      forked.setError("the zygote is gone");
      SendToBroker(reply);
    }
  } catch (const kj::Exception& e) {
    LogWarning("undecodable_zygote_request", {{"error", e.getDescription().cStr()}});
  }
}

void Reaper::SendToBroker(capnp::MessageBuilder& message) {
  if (auto status = ipc::SendPacket(control_fd_, message); !status.ok()) {
    LogError("control_send_failed", {{"error", status.message()}});
    EndAll();
  }
}

void Reaper::EndAll() {
  if (zygote_alive_) ::kill(zygote_, SIGKILL);
  if (zygote_link_) OnZygoteLink();
  for (pid_t pid : workers_) ::kill(pid, SIGKILL);
  _exit(0);
}

UniqueFd WatchSignals() {
  UniqueFd fd = BlockIntoSignalFd({SIGCHLD, kBrokerDiedSignal});
  if (!fd) _exit(1);
  return fd;
}

}  // namespace

UniqueFd SplitOffReaper(ZygoteConfig& config) {
  config.own_pid_namespace = sandbox::InOwnPidNamespace();
  // Outside a pid namespace of its own, orphaned workers would go to the
  // host's init; a subreaper gets them instead.
  if (!config.own_pid_namespace && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    LogSyscallError("prctl(PR_SET_CHILD_SUBREAPER)", errno);
    _exit(1);
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    LogSyscallError("socketpair", errno);
    _exit(1);
  }
  UniqueFd reaper_end(sv[0]);
  UniqueFd zygote_end(sv[1]);
  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> zygote_denials = MakeDenialPipe();
  if (!zygote_denials.ok()) {
    LogError("denial_pipe_failed", {{"error", zygote_denials.status().message()}});
    _exit(1);
  }
  pid_t reaper = ::getpid();
  // Named before the fork, and the zygote renames itself before it serves:
  // whoever sees a zygote able to fork workers sees both names right (the
  // parent renaming itself after the fork left a window where both were
  // "sluice-zygote").
  ::prctl(PR_SET_NAME, "sluice-reaper");
  pid_t zygote = ::fork();
  if (zygote < 0) {
    LogSyscallError("fork", errno);
    _exit(1);
  }
  if (zygote == 0) {
    ::prctl(PR_SET_NAME, "sluice-zygote");
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != reaper) _exit(1);
    config.reaper_pid = reaper;
    // The counter page is the reaper's alone: gone before any app code.
    if (config.denials_fd >= 0) ::close(config.denials_fd);
    config.denials_fd = -1;
    zygote_denials->first.reset();
    config.denial_report_fd = zygote_denials->second.release();
    return zygote_end;
  }

  zygote_end.reset();
  SetLogProcess("reaper");
  // At strict the kernel ends the namespace with us; elsewhere we end our
  // children ourselves, so the broker's death must not kill us first.
  if (!config.own_pid_namespace) {
    if (::prctl(PR_SET_PDEATHSIG, kBrokerDiedSignal) != 0) {
      LogSyscallError("prctl(PR_SET_PDEATHSIG)", errno);
      ::kill(zygote, SIGKILL);
      _exit(1);
    }
  }
  UniqueFd signals = WatchSignals();
  if (!config.own_pid_namespace && ::getppid() != config.broker_pid) {
    ::kill(zygote, SIGKILL);  // the broker died before the signal was armed
    _exit(1);
  }
  // The reaper maps nothing of the app's and needs neither of these.
  if (config.arena_fd >= 0) ::close(config.arena_fd);
  if (config.secrets_fd >= 0) ::close(config.secrets_fd);
  zygote_denials->second.reset();
  ReaperCounterPage counters;
  if (config.denials_fd >= 0) {
    absl::StatusOr<ReaperCounterPage> page = ReaperCounterPage::Map(UniqueFd(config.denials_fd));
    // Without it the figures stay 0 at /metrics; output is still logged.
    if (!page.ok()) LogError("counter_page_unmapped", {{"error", page.status().message()}});
    if (page.ok()) counters = *std::move(page);
  }
  int flags = ::fcntl(reaper_end.get(), F_GETFL);
  ::fcntl(reaper_end.get(), F_SETFL, flags | O_NONBLOCK);
  OutputReader output(config.output, counters.counters());
  output.AddZygote(zygote, std::move(zygote_denials->first));
  LogDebug("reaper_started", {{"zygote_pid", zygote}});
  Reaper(config.control_fd, zygote, std::move(reaper_end), std::move(signals), output).Loop();
}

}  // namespace sluice::worker
