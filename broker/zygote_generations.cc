#include "broker/zygote_generations.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "broker/app_check.h"
#include "broker/helper_process.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

constexpr std::chrono::seconds kLoadTimeout{60};
// A zygote that dies again within this long of its start counts as the same
// run of crashes; each one doubles the wait before the next restart.
constexpr std::chrono::seconds kCrashWindow{30};
constexpr std::chrono::milliseconds kFirstRestartDelay{200};
constexpr std::chrono::milliseconds kMaxRestartDelay{30000};

UniqueFd Duplicate(int fd) {
  if (fd < 0) return UniqueFd();
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) LogSyscallError("fcntl(F_DUPFD_CLOEXEC)", errno, {{"fd", fd}});
  return UniqueFd(copy);
}

}  // namespace

// A new zygote loading the app: waits, without blocking the loop, for its
// first packet (ready or why not), or for the load timeout.
struct ZygoteGenerations::Loading {
  Loading(asio::io_context& io, SpawnedZygote zygote, std::string why, DoneCallback then)
      : spawned(std::move(zygote)),
        readable(io, ::fcntl(spawned.control.get(), F_DUPFD_CLOEXEC, 0)),
        timeout(io),
        trigger(std::move(why)),
        done(std::move(then)) {}
  ~Loading() {
    boost::system::error_code ignored;
    readable.close(ignored);
    if (spawned.pid > 0) KillAndReap(spawned.pid);  // never finished: abandoned
  }

  SpawnedZygote spawned;
  asio::posix::stream_descriptor readable;  // a duplicate of spawned.control
  asio::steady_timer timeout;
  std::string trigger;
  DoneCallback done;  // not yet called
};

ZygoteGenerations::ZygoteGenerations(asio::io_context& io, ZygoteLaunch launch,
                                     std::unique_ptr<ZygoteHost> first)
    : io_(io),
      launch_(std::move(launch)),
      arena_fd_(Duplicate(launch_.arena_fd)),
      denials_fd_(Duplicate(launch_.denials_fd)),
      current_(std::move(first)),
      restart_timer_(io),
      app_name_(current_->app_name()) {
  launch_.arena_fd = arena_fd_.get();
  launch_.denials_fd = denials_fd_.get();
}

ZygoteGenerations::~ZygoteGenerations() {
  stopped_ = true;
  loading_.reset();
  // Each host's destructor closes its control socket (its zygote then kills
  // its workers and exits) and reaps it.
  retiring_.clear();
  current_.reset();
}

void ZygoteGenerations::Start(ZygoteHost::ExitCallback on_exit, SwitchedCallback on_switched) {
  on_exit_ = std::move(on_exit);
  on_switched_ = std::move(on_switched);
  Adopt(std::move(current_));
}

void ZygoteGenerations::Adopt(std::unique_ptr<ZygoteHost> host) {
  ZygoteHost* raw = host.get();
  raw->Attach(
      io_,
      [this, raw](pid_t pid, int exit_code, int signal) {
        if (auto it = slot_of_.find(pid); it != slot_of_.end()) {
          // A host that lost its reaper reports every worker as killed, but
          // at standard a worker outlives its reaper until it notices its
          // socket closed (it has no parent-death signal): its slot, and so
          // its uid, is never handed out again.
          if (!raw->lost()) ReleaseSlot(it->second);
          slot_of_.erase(it);
        }
        if (on_exit_) on_exit_(pid, exit_code, signal);
        ReapRetired();
      },
      [this, raw] { OnCurrentLost(raw); });
  current_ = std::move(host);
  current_since_ = std::chrono::steady_clock::now();
}

void ZygoteGenerations::Fork(UniqueFd keeper_socket, ZygoteHost::ForkCallback done) {
  if (!current_) {
    asio::post(io_, [done = std::move(done)] {
      done(absl::UnavailableError("the zygote is being restarted"));
    });
    return;
  }
  int slot = TakeSlot();
  current_->Fork(std::move(keeper_socket), slot,
                 [this, slot, done = std::move(done)](absl::StatusOr<ForkedWorker> worker) {
                   if (worker.ok()) {
                     slot_of_[worker->pid] = slot;
                   } else {
                     ReleaseSlot(slot);
                   }
                   done(std::move(worker));
                 });
}

int ZygoteGenerations::TakeSlot() {
  if (free_slots_.empty()) return next_slot_++;
  int slot = free_slots_.back();
  free_slots_.pop_back();
  return slot;
}

void ZygoteGenerations::ReleaseSlot(int slot) { free_slots_.push_back(slot); }

ZygoteHost* ZygoteGenerations::HostOf(pid_t pid) const {
  if (current_ && current_->HasWorker(pid)) return current_.get();
  for (const auto& host : retiring_) {
    if (host->HasWorker(pid)) return host.get();
  }
  return nullptr;
}

void ZygoteGenerations::Kill(pid_t pid) {
  if (ZygoteHost* host = HostOf(pid)) host->Kill(pid);
}

void ZygoteGenerations::NameWorker(pid_t pid, std::string_view session) {
  if (ZygoteHost* host = HostOf(pid)) host->NameWorker(pid, session);
}

bool ZygoteGenerations::IsCurrent(pid_t pid) const { return current_ && current_->HasWorker(pid); }

void ZygoteGenerations::Reload(std::string_view trigger, DoneCallback done) {
  if (stopped_) {
    asio::post(io_, [done = std::move(done)] {
      done(absl::FailedPreconditionError("the server is shutting down"));
    });
    return;
  }
  if (loading_) {
    asio::post(io_, [done = std::move(done)] {
      done(absl::FailedPreconditionError("a new zygote is already loading the app"));
    });
    return;
  }
  LogInfo("app_reload_requested", {{"trigger", trigger}, {"path", launch_.app_path}});
  if (absl::Status checked = CheckAppLibrary(launch_.app_path); !checked.ok()) {
    LogError("app_reload_refused", {{"trigger", trigger}, {"error", checked.message()}});
    asio::post(io_, [done = std::move(done), checked] { done(checked); });
    return;
  }
  Launch(trigger, std::move(done));
}

void ZygoteGenerations::Launch(std::string_view trigger, DoneCallback done) {
  absl::StatusOr<SpawnedZygote> spawned = ZygoteHost::Spawn(launch_);
  if (!spawned.ok()) {
    LogError("zygote_spawn_failed", {{"trigger", trigger}, {"error", spawned.status().message()}});
    asio::post(io_, [done = std::move(done), status = spawned.status()] { done(status); });
    if (!current_) ScheduleRestart();  // nothing serves: keep trying
    return;
  }
  loading_ =
      std::make_unique<Loading>(io_, *std::move(spawned), std::string(trigger), std::move(done));
  auto finish = [this, expected = loading_.get()](bool timed_out) {
    if (loading_.get() != expected) return;  // the other wait finished it, or Stop()
    std::unique_ptr<Loading> loading = std::move(loading_);
    loading->timeout.cancel();
    boost::system::error_code ignored;
    loading->readable.cancel(ignored);
    absl::StatusOr<ipc::Packet> packet =
        timed_out
            ? absl::DeadlineExceededError("no answer")
            : ReceiveFirstPacket(loading->spawned.control.get(), std::chrono::milliseconds(0));
    SpawnedZygote spawned = std::move(loading->spawned);
    loading->spawned.pid = -1;  // Finish() owns it now
    OnLoaded(ZygoteHost::Finish(std::move(spawned), std::move(packet)), loading->trigger,
             std::move(loading->done));
  };
  loading_->readable.async_wait(asio::posix::stream_descriptor::wait_read,
                                [finish](boost::system::error_code ec) {
                                  if (ec != asio::error::operation_aborted) finish(false);
                                });
  loading_->timeout.expires_after(kLoadTimeout);
  loading_->timeout.async_wait([finish](boost::system::error_code ec) {
    if (!ec) finish(true);
  });
}

void ZygoteGenerations::OnLoaded(absl::StatusOr<std::unique_ptr<ZygoteHost>> host,
                                 std::string trigger, DoneCallback done) {
  if (!host.ok()) {
    ++loads_failed_;
    LogError("app_reload_failed", {{"trigger", trigger},
                                   {"error", host.status().message()},
                                   {"serving_generation", current_ ? generation_ : 0}});
    if (!current_) ScheduleRestart();  // nothing serves: keep trying
    done(host.status());
    return;
  }
  if (stopped_) {
    done(absl::FailedPreconditionError("the server is shutting down"));
    return;  // `host` ends its zygote as it goes
  }
  if (current_) {
    retiring_.push_back(std::move(current_));
  }
  ++generation_;
  ++loads_succeeded_;
  app_name_ = (*host)->app_name();
  LogInfo("zygote_generation_current", {{"generation", generation_},
                                        {"trigger", trigger},
                                        {"reaper_pid", (*host)->pid()},
                                        {"app", app_name_},
                                        {"retiring", retiring()}});
  Adopt(*std::move(host));
  ReapRetired();
  if (on_switched_) on_switched_();
  done(absl::OkStatus());
}

// Runs after the host reported the workers that ended with its zygote.
// Either only the zygote died (its reaper still serves the survivors: the
// generation retires like a reloaded one) or the whole channel is lost (the
// host is done).
void ZygoteGenerations::OnCurrentLost(ZygoteHost* host) {
  auto owned = std::find_if(retiring_.begin(), retiring_.end(),
                            [host](const auto& retired) { return retired.get() == host; });
  if (owned != retiring_.end()) {
    // A retired generation: nothing to restart.
    if (host->lost()) {
      // Destroyed on a later turn: this runs inside one of its callbacks.
      asio::post(io_,
                 [doomed = std::make_shared<std::unique_ptr<ZygoteHost>>(std::move(*owned))] {});
      retiring_.erase(owned);
    } else {
      ReapRetired();
    }
    return;
  }
  if (current_.get() != host) return;
  ++zygote_deaths_;
  if (std::chrono::steady_clock::now() - current_since_ > kCrashWindow) crashes_in_a_row_ = 0;
  if (host->lost()) {
    asio::post(io_,
               [doomed = std::make_shared<std::unique_ptr<ZygoteHost>>(std::move(current_))] {});
  } else {
    retiring_.push_back(std::move(current_));
    ReapRetired();
  }
  if (stopped_) return;
  ScheduleRestart();
}

void ZygoteGenerations::ScheduleRestart() {
  if (stopped_ || loading_) return;
  ++crashes_in_a_row_;
  auto delay = kFirstRestartDelay * (1 << std::min(crashes_in_a_row_ - 1, 8));
  delay = std::min<std::chrono::milliseconds>(delay, kMaxRestartDelay);
  LogWarning("zygote_restart_scheduled", {{"in_ms", static_cast<std::int64_t>(delay.count())},
                                          {"crashes_in_a_row", crashes_in_a_row_}});
  restart_timer_.expires_after(delay);
  restart_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_ || current_ || loading_) return;
    Launch("restart", [](absl::Status) {});  // a failure schedules the next try
  });
}

void ZygoteGenerations::ReapRetired() {
  if (reap_posted_) return;
  reap_posted_ = true;
  asio::post(io_, [this] {
    reap_posted_ = false;
    for (auto it = retiring_.begin(); it != retiring_.end();) {
      ZygoteHost& host = **it;
      if (!host.lost() && host.live_workers() == 0 && host.pending_forks() == 0) {
        LogInfo("zygote_retired", {{"reaper_pid", host.pid()}});
        it = retiring_.erase(it);  // closes its control socket: it exits
      } else {
        ++it;
      }
    }
  });
}

void ZygoteGenerations::Stop() {
  stopped_ = true;
  restart_timer_.cancel();
  if (loading_) {
    DoneCallback done = std::move(loading_->done);
    loading_.reset();  // kills the zygote that was loading
    if (done) {
      asio::post(io_, [done = std::move(done)] {
        done(absl::FailedPreconditionError("the server is shutting down"));
      });
    }
  }
}

}  // namespace sluice::broker
