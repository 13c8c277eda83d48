// The broker's zygotes over time. One generation (a ZygoteHost) is current:
// new workers are forked from it. A reload (POST /admin/reload, SIGUSR2,
// --watch) starts a new zygote for the app library at the same path; only
// once it reports ready does it become current, and the old one retires: it
// keeps the workers of open sessions, forks no more, and is ended when its
// last worker has ended. A current zygote that dies is restarted, with a
// backoff when it keeps dying. Exit reports and kills are routed to the
// generation that owns the worker. Single-threaded: every call and callback
// runs on the broker's io thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "broker/net.h"
#include "broker/zygote_host.h"
#include "util/unique_fd.h"

namespace sluice::broker {

class ZygoteGenerations {
 public:
  using DoneCallback = std::function<void(absl::Status)>;
  // A new generation became current (after a reload or a restart).
  using SwitchedCallback = std::function<void()>;

  // `first` is the zygote started before the broker's loop ran. `launch`
  // says how to start the next ones; its arena and denial descriptors are
  // duplicated here and kept open for them (-1: none).
  ZygoteGenerations(asio::io_context& io, ZygoteLaunch launch, std::unique_ptr<ZygoteHost> first);
  // Ends every zygote (and with them their workers) and waits for them.
  ~ZygoteGenerations();
  ZygoteGenerations(const ZygoteGenerations&) = delete;
  ZygoteGenerations& operator=(const ZygoteGenerations&) = delete;

  void Start(ZygoteHost::ExitCallback on_exit, SwitchedCallback on_switched);

  // Forks from the current generation; without one (it died and is being
  // restarted) `done` gets Unavailable on a later turn of the loop. The
  // worker gets a sandbox slot (its uid, when root) that no live worker of
  // any generation holds: old generations' workers live on after a reload
  // or a restart, and sharing a uid would let the kernel treat two
  // sessions' workers as one user.
  void Fork(UniqueFd keeper_socket, ZygoteHost::ForkCallback done);
  // SIGKILLs a worker through whichever generation forked it.
  void Kill(pid_t pid);
  // Names the session `pid` serves, to whichever generation forked it.
  void NameWorker(pid_t pid, std::string_view session);
  // Whether `pid` was forked by the current generation (warm workers of a
  // retired one are not handed to new sessions).
  bool IsCurrent(pid_t pid) const;

  // Checks the app library, starts a new zygote on it and makes it current
  // once ready. `done` hears OK then, or why not (the library is broken,
  // the zygote failed to load it, a reload is already under way); the
  // current generation keeps serving in every failure.
  void Reload(std::string_view trigger, DoneCallback done);

  // No more restarts or reloads: for the broker's shutdown.
  void Stop();

  const std::string& app_name() const { return app_name_; }
  bool zygote_up() const { return current_ != nullptr; }
  int generation() const { return generation_; }
  int retiring() const { return static_cast<int>(retiring_.size()); }
  // For /metrics: zygotes that died while current, and new zygotes that
  // became current (reloads and restarts) or failed to load.
  std::uint64_t zygote_deaths() const { return zygote_deaths_; }
  std::uint64_t loads_succeeded() const { return loads_succeeded_; }
  std::uint64_t loads_failed() const { return loads_failed_; }

 private:
  struct Loading;
  void Launch(std::string_view trigger, DoneCallback done);
  void OnLoaded(absl::StatusOr<std::unique_ptr<ZygoteHost>> host, std::string trigger,
                DoneCallback done);
  void Adopt(std::unique_ptr<ZygoteHost> host);
  void OnCurrentLost(ZygoteHost* host);
  void ScheduleRestart();
  // Ends retired generations that have no workers left (on a later turn of
  // the loop: this may run inside one of their callbacks).
  void ReapRetired();
  int TakeSlot();
  void ReleaseSlot(int slot);
  // The host (current or retiring) whose zygote forked `pid`; null if none.
  ZygoteHost* HostOf(pid_t pid) const;

  asio::io_context& io_;
  ZygoteLaunch launch_;
  UniqueFd arena_fd_;
  UniqueFd denials_fd_;
  ZygoteHost::ExitCallback on_exit_;
  SwitchedCallback on_switched_;
  std::unique_ptr<ZygoteHost> current_;
  std::vector<std::unique_ptr<ZygoteHost>> retiring_;
  std::unique_ptr<Loading> loading_;
  asio::steady_timer restart_timer_;
  std::string app_name_;
  int generation_ = 1;
  std::chrono::steady_clock::time_point current_since_;
  std::uint64_t zygote_deaths_ = 0;
  std::uint64_t loads_succeeded_ = 0;
  std::uint64_t loads_failed_ = 0;
  int crashes_in_a_row_ = 0;  // zygote deaths, each within 30 s of its start
  bool reap_posted_ = false;
  bool stopped_ = false;
  // Sandbox slots of live (or being forked) workers, across generations; a
  // slot is free again once its worker's exit is reported (it was reaped).
  absl::flat_hash_map<pid_t, int> slot_of_;
  std::vector<int> free_slots_;
  int next_slot_ = 0;
};

}  // namespace sluice::broker
