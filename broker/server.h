// The broker's hub: accepts connections, keeps the session table and the
// warm-worker pool, and routes the zygote's exit reports. Everything runs on
// one io thread, so none of this state needs a lock (ListSessions hands a
// copy of what it needs to a /proc-reading thread).
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "broker/keeper_host.h"
#include "broker/net.h"
#include "broker/options.h"
#include "broker/service_metrics.h"
#include "broker/session_queue.h"
#include "broker/static_files.h"
#include "broker/zygote_generations.h"
#include "worker/reaper_counters.h"

namespace sluice::broker {

class AppWatch;
class PageConnection;
class SessionRelay;

class Server {
 public:
  // `keeper` is null when the shared cache is off (--cache-size 0).
  // `counters` is the page the reapers count denied calls and dropped
  // output lines in (worker/reaper_counters.h).
  Server(asio::io_context& io, ServeOptions options, std::unique_ptr<ZygoteGenerations> zygotes,
         std::unique_ptr<KeeperHost> keeper, worker::ReaperCounterPage counters, StaticFiles files,
         tcp::acceptor acceptor);
  ~Server();

  // Starts accepting, warming workers and watching SIGINT (stop now),
  // SIGTERM (drain) and SIGUSR2 (reload the app).
  void Start();

  // SIGTERM's graceful stop: no new connections or sessions; pages are told
  // the server is restarting; each session ends once its run in progress
  // finishes, or when --drain-timeout passes; then the loop stops (exit 0).
  // A second call stops at once.
  void Drain();
  // True from Drain() on: /readyz answers 503.
  bool draining() const { return draining_; }
  // False while a crashed zygote is being restarted (for /readyz).
  bool zygote_up() const { return zygotes_->zygote_up(); }

  // Starts a new zygote on the app library's path (POST /admin/reload,
  // SIGUSR2, --watch). `done` runs on the io thread: OK once new sessions
  // go to the new app, or why the old one keeps serving.
  void ReloadApp(std::string_view trigger, ZygoteGenerations::DoneCallback done);

  // A page said hello: resume its session if `token` names one, else start a
  // new session. When --workers sessions are live the page waits in the
  // queue (or is answered "busy" when that is full); a client address over
  // --max-sessions-per-ip is answered "busy" at once.
  void OpenSession(const std::shared_ptr<PageConnection>& page, const std::string& token);

  std::string HealthJson() const;
  // GET /readyz: whether a new session would start at once and this broker
  // should get traffic: the zygote is up, the prefork pool is filled and the
  // server is not draining or stopping. The JSON says which is missing.
  struct Readiness {
    bool ready;
    std::string json;
  };
  Readiness ReadyState() const;
  std::string MetricsText() const;
  ServiceMetrics& service_metrics() { return metrics_; }

  // The operator's session list for GET /admin/sessions: a JSON object with
  // one entry per session (id, pid, age, memory, client address). `done`
  // runs later on the io thread with it. The memory figures come from /proc
  // at ~0.15 ms a session (mostly the PSS walk of smaps_rollup), so they are
  // read on a thread of their own: listing 10,000 sessions would otherwise
  // stall every page for over a second.
  void ListSessions(std::function<void(std::string json)> done);
  // Ends session `id` with "ended by the operator" on its page. False if no
  // live session has that id.
  bool EndSessionByOperator(std::string_view id);
  // The operator's clear: `done` runs later on the io thread with how many
  // entries were removed (0 when the cache is off), or why it failed.
  void ClearCache(KeeperHost::ClearCallback done);
  // SIGHUP (broker/reload.h): takes the live settings of `next` (rows marked
  // live in broker/settings.h). New limits apply to sessions started from
  // now on; a smaller pool ends no session, it only starts fewer.
  void ApplyLiveSettings(const ServeOptions& next);
  const StaticFiles& files() const { return files_; }
  const ServeOptions& options() const { return options_; }

 private:
  void Accept();
  // Gets `page` a worker (warm or newly forked) and starts its session.
  // REQUIRES: a place is free and the page holds a client slot.
  void Admit(const std::shared_ptr<PageConnection>& page);
  // Admits queued pages while places are free.
  void AdmitQueued();
  void OnLeftQueue(const std::shared_ptr<PageConnection>& page, SessionQueue::Left why);
  // Answers a tab that gets no session: a busy notice, then a close.
  void Reject(const std::shared_ptr<PageConnection>& page, std::string_view why,
              std::string_view message);
  // Sessions (starting, live or queued) per client address, for
  // --max-sessions-per-ip.
  void TakeClientSlot(const std::string& address);
  void ReleaseClientSlot(const std::string& address);
  void StartSession(const std::shared_ptr<PageConnection>& page, ForkedWorker worker,
                    std::chrono::steady_clock::time_point admitted);
  void OnSessionEnded(SessionRelay& session, std::string_view reason);
  void OnWorkerExited(pid_t pid, int exit_code, int signal);
  void RefillWarm();
  // RefillWarm once the session just given a warm worker has had its first
  // run (see Admit), or after kWarmRefillDelay at the latest.
  void RefillWarmSoon();
  // Asks the zygote for a worker, with a keeper socket when the cache is on.
  void ForkWorker(ZygoteHost::ForkCallback done);
  std::string_view CacheState() const;
  void Shutdown(std::string_view why);
  void WatchSignals();
  // Closes every queued page with "shutting down" (drain and stop).
  void TurnAwayQueued();
  void EndDrainedSession(const std::shared_ptr<SessionRelay>& session);
  void StopIfDrained();
  // How long a warm worker's replacement waits at most for the first run of
  // the session that took it. Apps whose first run is slow should not leave
  // the pool empty for that long.
  static constexpr std::chrono::milliseconds kWarmRefillDelay{10};

  int SessionsInUse() const { return static_cast<int>(sessions_by_pid_.size()) + starting_; }

  // The thread ListSessions reads /proc on, started on first use.
  asio::thread_pool& ProcReader();

  asio::io_context& io_;
  ServeOptions options_;
  std::unique_ptr<ZygoteGenerations> zygotes_;
  std::unique_ptr<KeeperHost> keeper_;
  worker::ReaperCounterPage counters_;
  StaticFiles files_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer accept_retry_;
  asio::steady_timer drain_timer_;
  asio::steady_timer warm_refill_timer_;
  bool warm_refill_pending_ = false;
  std::unique_ptr<AppWatch> app_watch_;  // --watch
  absl::flat_hash_map<std::string, std::shared_ptr<SessionRelay>> sessions_by_token_;
  absl::flat_hash_map<pid_t, std::shared_ptr<SessionRelay>> sessions_by_pid_;
  std::deque<ForkedWorker> warm_;
  int warm_forks_in_flight_ = 0;
  int starting_ = 0;  // sessions waiting for a fork
  ServiceMetrics metrics_;
  SessionQueue queue_;
  absl::flat_hash_map<std::string, int> client_slots_;
  bool draining_ = false;
  bool stopping_ = false;
  // Last, so that it is joined first: its jobs post to io_ and read nothing
  // of this object.
  std::optional<asio::thread_pool> proc_reader_;
};

}  // namespace sluice::broker
