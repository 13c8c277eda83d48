#include "broker/server.h"

#include <signal.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/strings/escaping.h"
#include "broker/app_watch.h"
#include "broker/http_connection.h"
#include "broker/metrics.h"
#include "broker/origin_check.h"
#include "broker/page_connection.h"
#include "broker/proc_stats.h"
#include "broker/session_relay.h"
#include "broker/settings.h"
#include "broker/worker_link.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

constexpr std::chrono::milliseconds kAcceptRetry{100};

// Unguessable ids: session ids appear in logs, tokens are a capability.
std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  std::size_t filled = 0;
  while (filled < bytes) {
    ssize_t n = ::getrandom(raw.data() + filled, bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      LogSyscallError("getrandom", errno);
      std::abort();  // no safe way to make a token
    }
    filled += static_cast<std::size_t>(n);
  }
  return absl::BytesToHexString(raw);
}

// "*" in --allowed-origins turns the cross-site WebSocket check off: said
// at start and whenever SIGHUP turns it on.
void WarnIfAnyOriginAllowed(const ServeOptions& options) {
  if (!AllowsAnyOrigin(options.allowed_origins)) return;
  LogWarning("any_origin_allowed",
             {{"warning",
               "--allowed-origins includes *: a page on any web site a viewer visits can open a "
               "session in their name and read what the app shows them"}});
}

}  // namespace

Server::Server(asio::io_context& io, ServeOptions options,
               std::unique_ptr<ZygoteGenerations> zygotes, std::unique_ptr<KeeperHost> keeper,
               worker::ReaperCounterPage counters, StaticFiles files, tcp::acceptor acceptor)
    : io_(io),
      options_(std::move(options)),
      zygotes_(std::move(zygotes)),
      keeper_(std::move(keeper)),
      counters_(std::move(counters)),
      files_(std::move(files)),
      acceptor_(std::move(acceptor)),
      signals_(io, SIGINT, SIGTERM, SIGUSR2),
      accept_retry_(io),
      drain_timer_(io),
      warm_refill_timer_(io),
      queue_(io, static_cast<std::size_t>(options_.max_queue), options_.queue_timeout,
             [this](const std::shared_ptr<PageConnection>& page, SessionQueue::Left why) {
               OnLeftQueue(page, why);
             }) {}

Server::~Server() = default;

void Server::Start() {
  WarnIfAnyOriginAllowed(options_);
  if (keeper_) keeper_->Attach(io_);
  zygotes_->Start([this](pid_t pid, int code, int signal) { OnWorkerExited(pid, code, signal); },
                  [this] {
                    // A new generation serves: warm workers of the old app go (closing
                    // their sockets ends them), new ones come from the new zygote.
                    warm_.clear();
                    RefillWarm();
                  });
  if (options_.watch_app) {
    auto watch = AppWatch::Start(io_, options_.app_path, [this] {
      ReloadApp("watch", [](absl::Status) {});  // the outcome is logged
    });
    if (watch.ok()) {
      app_watch_ = *std::move(watch);
    } else {
      LogError("app_watch_unavailable", {{"error", watch.status().message()}});
    }
  }
  WatchSignals();
  RefillWarm();
  Accept();
}

void Server::WatchSignals() {
  signals_.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGINT) return Shutdown("SIGINT");
    WatchSignals();
    if (signal == SIGUSR2) return ReloadApp("SIGUSR2", [](absl::Status) {});
    if (draining_) return Shutdown("second SIGTERM");
    Drain();
  });
}

void Server::ReloadApp(std::string_view trigger, ZygoteGenerations::DoneCallback done) {
  if (draining_ || stopping_) {
    asio::post(io_, [done = std::move(done)] {
      done(absl::FailedPreconditionError("the server is shutting down"));
    });
    return;
  }
  zygotes_->Reload(trigger, std::move(done));
}

void Server::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (stopping_ || draining_) return;  // the acceptor was closed
    if (ec) {
      // Out of descriptors and the like: the connection stays in the backlog,
      // so accepting again at once would spin. Wait a little first.
      LogWarning("accept_failed", {{"error", ec.message()}});
      accept_retry_.expires_after(kAcceptRetry);
      accept_retry_.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec && !stopping_ && !draining_) Accept();
      });
      return;
    } else {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<HttpConnection>(std::move(socket), *this)->Run();
    }
    Accept();
  });
}

void Server::OpenSession(const std::shared_ptr<PageConnection>& page, const std::string& token) {
  if (stopping_ || (draining_ && !sessions_by_token_.contains(token))) {
    page->SendNotice(ipc::Notice::Kind::ENDED, "The server is shutting down.");
    page->CloseWith(websocket::close_code::going_away, "shutting down");
    return;
  }
  if (!token.empty()) {
    if (auto it = sessions_by_token_.find(token); it != sessions_by_token_.end()) {
      it->second->Resume(page);
      return;
    }
  }
  const std::string& address = page->client_address();
  if (options_.max_sessions_per_ip > 0) {
    auto held = client_slots_.find(address);
    if (held != client_slots_.end() && held->second >= options_.max_sessions_per_ip) {
      LogWarning("client_limit", {{"client", address}, {"sessions", held->second}});
      return Reject(page, "per_ip_limit",
                    StrCat("This address already has ", held->second,
                           " sessions open on this server, the most it allows. Close another "
                           "tab of this app and retry."));
    }
  }
  TakeClientSlot(address);
  if (SessionsInUse() < options_.workers && queue_.size() == 0) return Admit(page);
  if (queue_.Push(page)) {
    LogInfo("session_queued", {{"client", address}, {"position", queue_.size()}});
    AdmitQueued();  // a place may have come free while others still wait
    return;
  }
  ReleaseClientSlot(address);
  LogWarning(
      "server_busy",
      {{"sessions", SessionsInUse()}, {"workers", options_.workers}, {"queued", queue_.size()}});
  Reject(page, queue_.capacity() == 0 ? "busy" : "queue_full",
         StrCat("The server is busy: all ", options_.workers, " sessions are in use",
                queue_.capacity() == 0 ? "" : " and its waiting line is full",
                ". Please retry in a moment."));
}

void Server::Reject(const std::shared_ptr<PageConnection>& page, std::string_view why,
                    std::string_view message) {
  metrics_.CountRejected(why);
  page->SendNotice(ipc::Notice::Kind::BUSY, message);
  page->CloseWith(websocket::close_code::try_again_later, "server busy");
}

void Server::TakeClientSlot(const std::string& address) { ++client_slots_[address]; }

void Server::ReleaseClientSlot(const std::string& address) {
  auto it = client_slots_.find(address);
  if (it == client_slots_.end()) return;
  if (--it->second <= 0) client_slots_.erase(it);
}

void Server::OnLeftQueue(const std::shared_ptr<PageConnection>& page, SessionQueue::Left why) {
  ReleaseClientSlot(page->client_address());
  if (why == SessionQueue::Left::kClosed) {
    LogInfo("session_queue_left", {{"client", page->client_address()}});
    return;
  }
  LogWarning("session_queue_timeout",
             {{"client", page->client_address()},
              {"queue_timeout", absl::FormatDuration(options_.queue_timeout)}});
  Reject(page, "queue_timeout",
         StrCat("The server is busy: no place became free within ",
                absl::FormatDuration(options_.queue_timeout), ". Please retry in a moment."));
}

void Server::AdmitQueued() {
  while (!stopping_ && SessionsInUse() < options_.workers && queue_.size() > 0) {
    std::shared_ptr<PageConnection> page = queue_.Pop();
    if (!page) return;
    Admit(page);
  }
}

void Server::Admit(const std::shared_ptr<PageConnection>& page) {
  auto admitted = std::chrono::steady_clock::now();
  if (!warm_.empty()) {
    ForkedWorker worker = std::move(warm_.front());
    warm_.pop_front();
    StartSession(page, std::move(worker), admitted);
    // Not now: forking a replacement (and containing it) competes with
    // this session's first run for the CPUs, and the viewer waits for that.
    RefillWarmSoon();
    return;
  }
  ++starting_;
  std::weak_ptr<PageConnection> weak_page = page;
  ForkWorker([this, weak_page, admitted,
              address = page->client_address()](absl::StatusOr<ForkedWorker> worker) {
    --starting_;
    auto page = weak_page.lock();
    if (!worker.ok()) {
      LogError("worker_fork_failed", {{"error", worker.status().message()}});
      ReleaseClientSlot(address);
      if (page) {
        metrics_.CountRejected("no_worker");
        page->SendNotice(ipc::Notice::Kind::BUSY,
                         StrCat("Could not start a session: ", worker.status().message()));
        page->CloseWith(websocket::close_code::try_again_later, "no worker");
      }
      AdmitQueued();
      return;
    }
    if (draining_ || stopping_) {
      ReleaseClientSlot(address);
      if (page) {
        page->SendNotice(ipc::Notice::Kind::ENDED, "The server is shutting down.");
        page->CloseWith(websocket::close_code::going_away, "shutting down");
      }
      StopIfDrained();
      return;  // dropping the worker's socket ends it
    }
    if (!page || !page->open()) {
      ReleaseClientSlot(address);
      if (zygotes_->IsCurrent(worker->pid))
        warm_.push_back(std::move(*worker));  // nobody to serve: keep it warm
      AdmitQueued();
      return;
    }
    StartSession(page, std::move(*worker), admitted);
  });
}

void Server::StartSession(const std::shared_ptr<PageConnection>& page, ForkedWorker worker,
                          std::chrono::steady_clock::time_point admitted) {
  PageLimits limits = PageLimitsFor(options_);
  auto link =
      std::make_shared<WorkerLink>(io_, std::move(worker.socket), limits.max_worker_frame_bytes);
  auto session = std::make_shared<SessionRelay>(
      io_, RandomHex(8), RandomHex(24), worker.pid, std::move(link), options_.reconnect_grace,
      UploadLimitsFor(limits.max_message_bytes, std::uint64_t{options_.max_upload_mb} << 20),
      [this](SessionRelay& ended, std::string_view reason) { OnSessionEnded(ended, reason); },
      SessionContext{page->client_address(), options_.idle_timeout, &metrics_, admitted,
                     [this] { RefillWarm(); }, limits});
  sessions_by_token_[session->token()] = session;
  sessions_by_pid_[worker.pid] = session;
  ++metrics_.sessions_started;
  // Before the worker hears of its session: the lines its runs print carry the id.
  zygotes_->NameWorker(worker.pid, session->id());
  LogInfo(
      "session_started",
      {{"session", session->id()}, {"worker_pid", worker.pid}, {"client", page->client_address()}});
  session->Begin(page);
}

void Server::OnSessionEnded(SessionRelay& session, std::string_view reason) {
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - session.began()).count();
  if (std::optional<std::uint64_t> peak = session.peak_rss_kb()) {
    LogInfo("session_ended", {{"session", session.id()},
                              {"worker_pid", session.pid()},
                              {"reason", reason},
                              {"duration_s", seconds},
                              {"peak_rss_kb", *peak}});
  } else {
    LogInfo("session_ended", {{"session", session.id()},
                              {"worker_pid", session.pid()},
                              {"reason", reason},
                              {"duration_s", seconds}});
  }
  metrics_.CountEnded(reason);
  zygotes_->Kill(session.pid());
  ReleaseClientSlot(session.client_address());
  sessions_by_token_.erase(session.token());
  sessions_by_pid_.erase(session.pid());
  AdmitQueued();
  RefillWarm();
  StopIfDrained();
}

void Server::OnWorkerExited(pid_t pid, int exit_code, int signal) {
  for (auto it = warm_.begin(); it != warm_.end(); ++it) {
    if (it->pid == pid) {
      if (signal != 0) metrics_.CountCrash(signal);
      LogWarning("warm_worker_exited",
                 {{"worker_pid", pid}, {"exit_code", exit_code}, {"signal", signal}});
      warm_.erase(it);
      RefillWarm();
      return;
    }
  }
  if (auto it = sessions_by_pid_.find(pid); it != sessions_by_pid_.end()) {
    std::shared_ptr<SessionRelay> session = it->second;
    if (signal != 0) metrics_.CountCrash(signal);
    session->WorkerExited(exit_code, signal);
  }
}

void Server::RefillWarm() {
  if (stopping_ || draining_) return;
  int room = options_.workers - SessionsInUse();
  int target = std::min(options_.prefork, std::max(room, 0));
  while (static_cast<int>(warm_.size()) + warm_forks_in_flight_ < target) {
    ++warm_forks_in_flight_;
    ForkWorker([this](absl::StatusOr<ForkedWorker> worker) {
      --warm_forks_in_flight_;
      if (!worker.ok()) {
        LogError("warm_fork_failed", {{"error", worker.status().message()}});
        return;  // tried again when the next session starts or ends
      }
      // Forked by a zygote that has since been replaced, or while stopping:
      // dropping its socket ends it.
      if (stopping_ || draining_ || !zygotes_->IsCurrent(worker->pid)) return;
      warm_.push_back(std::move(*worker));
      AdmitQueued();  // a tab may have queued behind a slow fork
    });
  }
}

void Server::RefillWarmSoon() {
  if (warm_refill_pending_) return;
  warm_refill_pending_ = true;
  warm_refill_timer_.expires_after(kWarmRefillDelay);
  warm_refill_timer_.async_wait([this](boost::system::error_code ec) {
    warm_refill_pending_ = false;
    if (!ec) RefillWarm();
  });
}

void Server::ForkWorker(ZygoteHost::ForkCallback done) {
  zygotes_->Fork(keeper_ ? keeper_->NewWorkerSocket() : UniqueFd(), std::move(done));
}

void Server::Drain() {
  if (stopping_) return;
  if (draining_) return Shutdown("drain requested twice");
  draining_ = true;
  LogInfo("draining", {{"sessions", static_cast<int>(sessions_by_pid_.size())},
                       {"running", static_cast<int>(std::count_if(
                                       sessions_by_pid_.begin(), sessions_by_pid_.end(),
                                       [](const auto& entry) { return entry.second->running(); }))},
                       {"drain_timeout_s", absl::ToDoubleSeconds(options_.drain_timeout)}});
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  warm_refill_timer_.cancel();
  zygotes_->Stop();
  app_watch_.reset();
  warm_.clear();
  TurnAwayQueued();
  auto sessions = sessions_by_pid_;
  for (auto& [pid, session] : sessions) {
    session->Notify(ipc::Notice::Kind::RESTARTING,
                    "The server is restarting. A run in progress finishes first.");
    std::weak_ptr<SessionRelay> weak = session;
    session->WhenIdle([this, weak] {
      if (auto idle = weak.lock()) EndDrainedSession(idle);
    });
  }
  drain_timer_.expires_after(absl::ToChronoMilliseconds(options_.drain_timeout));
  drain_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    LogWarning("drain_timeout", {{"sessions", static_cast<int>(sessions_by_pid_.size())}});
    auto left = sessions_by_pid_;
    for (auto& [pid, session] : left) {
      session->End("drain_timeout",
                   "The server restarted before this run finished. Reload the page in a moment "
                   "to start a new session.");
    }
    Shutdown("drain_timeout");
  });
  StopIfDrained();
}

void Server::TurnAwayQueued() {
  for (auto& page : queue_.TakeAll()) {
    ReleaseClientSlot(page->client_address());
    page->SendNotice(ipc::Notice::Kind::ENDED, "The server is shutting down.");
    page->CloseWith(websocket::close_code::going_away, "shutting down");
  }
}

void Server::EndDrainedSession(const std::shared_ptr<SessionRelay>& session) {
  session->End("drained",
               "The server is restarting. Reload the page in a moment to start a new session.");
}

void Server::StopIfDrained() {
  if (!draining_ || stopping_ || !sessions_by_pid_.empty() || starting_ > 0) return;
  // Posted: this may run inside a session's End().
  asio::post(io_, [this] {
    if (!stopping_ && sessions_by_pid_.empty() && starting_ == 0) Shutdown("drained");
  });
}

void Server::Shutdown(std::string_view why) {
  if (stopping_) return;
  stopping_ = true;
  LogInfo("shutting_down",
          {{"signal", why}, {"sessions", static_cast<int>(sessions_by_pid_.size())}});
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  warm_refill_timer_.cancel();
  TurnAwayQueued();
  drain_timer_.cancel();
  zygotes_->Stop();
  app_watch_.reset();
  auto sessions = sessions_by_pid_;
  for (auto& [pid, session] : sessions) session->End("shutdown", "The server is shutting down.");
  warm_.clear();  // closing their sockets ends idle workers
  // Let the close frames go out, then stop; the zygote is told to end its
  // workers when the ZygoteHost is destroyed.
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(300));
  timer->async_wait([this, timer](boost::system::error_code) { io_.stop(); });
}

std::string Server::HealthJson() const {
  std::string json =
      StrCat("{\"status\":\"ok\",\"sessions\":", sessions_by_pid_.size(),
             ",\"warm_workers\":", warm_.size(), ",\"cache\":\"", CacheState(), "\",\"sandbox\":\"",
             sandbox::LevelName(options_.sandbox.value_or(sandbox::Level::kOff)), "\",\"app\":");
  AppendJsonString(&json, zygotes_->app_name());
  json.append("}\n");
  return json;
}

std::string_view Server::CacheState() const {
  if (!keeper_) return "off";
  return keeper_->alive() ? "on" : "keeper_lost";
}

std::string Server::MetricsText() const {
  MetricsSnapshot snapshot;
  snapshot.sessions_live = static_cast<int>(sessions_by_pid_.size());
  snapshot.warm_workers = static_cast<int>(warm_.size());
  if (keeper_) {
    snapshot.cache_up = keeper_->alive();
    snapshot.cache_size_bytes = keeper_->arena_bytes();
    snapshot.cache = keeper_->counters();
  }
  snapshot.sandbox_denied_syscalls = counters_.denied_syscalls();
  snapshot.app_output_lines_dropped = counters_.app_output_lines_dropped();
  snapshot.queue_length = static_cast<int>(queue_.size());
  snapshot.service = &metrics_;
  snapshot.log_lines_dropped = LogLinesDropped();
  snapshot.zygote_up = zygotes_->zygote_up();
  snapshot.zygote_generation = static_cast<std::uint64_t>(zygotes_->generation());
  snapshot.zygote_deaths = zygotes_->zygote_deaths();
  snapshot.zygote_loads_ok = zygotes_->loads_succeeded();
  snapshot.zygote_loads_failed = zygotes_->loads_failed();
  return RenderMetrics(snapshot);
}

void Server::ApplyLiveSettings(const ServeOptions& next) {
  bool any_origin_before = AllowsAnyOrigin(options_.allowed_origins);
  CopyLiveSettings(next, &options_);
  if (!any_origin_before) WarnIfAnyOriginAllowed(options_);
  SetLogLevel(options_.log_level);
  AdmitQueued();  // more --workers may admit tabs waiting in line
  RefillWarm();
}

void Server::ClearCache(KeeperHost::ClearCallback done) {
  if (!keeper_) {
    asio::post(io_, [done = std::move(done)] { done(std::uint64_t{0}); });
    return;
  }
  keeper_->Clear([done = std::move(done)](absl::StatusOr<std::uint64_t> entries) {
    if (entries.ok()) {
      LogInfo("cache_cleared_by_operator", {{"entries", *entries}});
    } else {
      LogError("cache_clear_failed", {{"error", entries.status().message()}});
    }
    done(std::move(entries));
  });
}

Server::Readiness Server::ReadyState() const {
  int room = std::max(options_.workers - SessionsInUse(), 0);
  int warm_target = std::min(options_.prefork, room);
  std::string_view reason;
  if (stopping_) {
    reason = "stopping";
  } else if (draining_) {
    reason = "draining";
  } else if (!zygotes_->zygote_up()) {
    reason = "zygote_down";
  } else if (static_cast<int>(warm_.size()) < warm_target) {
    reason = "prefork_filling";
  }
  std::string json = StrCat("{\"ready\":", reason.empty() ? "true" : "false");
  if (!reason.empty()) json += StrCat(",\"reason\":\"", reason, "\"");
  json += StrCat(",\"warm_workers\":", warm_.size(), ",\"prefork\":", warm_target,
                 ",\"sessions\":", sessions_by_pid_.size(), ",\"queued\":", queue_.size(), "}\n");
  return {reason.empty(), std::move(json)};
}

void Server::ListSessions(std::function<void(std::string json)> done) {
  struct Row {
    std::string id;
    pid_t pid;
    long long age_s;
    bool connected;
    std::string client;
    std::size_t output_buffered_bytes;
  };
  auto now = std::chrono::steady_clock::now();
  std::vector<Row> rows;
  rows.reserve(sessions_by_pid_.size());
  for (const auto& [pid, session] : sessions_by_pid_) {
    rows.push_back(
        {session->id(), pid,
         std::chrono::duration_cast<std::chrono::seconds>(now - session->began()).count(),
         session->connected(), session->client_address(), session->output_buffered_bytes()});
  }
  // Off the io thread from here: only the copied rows and io_ (whose post
  // is thread-safe) are touched. A session that ends meanwhile is listed
  // without memory figures.
  asio::post(ProcReader(), [rows = std::move(rows), queued = queue_.size(), &io = io_,
                            done = std::move(done)]() mutable {
    std::string json = "{\"sessions\":[";
    for (const Row& row : rows) {
      if (&row != &rows.front()) json.push_back(',');
      WorkerMemory memory = ReadWorkerMemory(row.pid, /*with_pss=*/true);
      json.append("{\"id\":");
      AppendJsonString(&json, row.id);
      json += StrCat(",\"pid\":", row.pid, ",\"age_s\":", row.age_s,
                     ",\"connected\":", row.connected ? "true" : "false");
      if (memory.rss_kb) json += StrCat(",\"rss_kb\":", *memory.rss_kb);
      if (memory.pss_kb) json += StrCat(",\"pss_kb\":", *memory.pss_kb);
      if (memory.peak_rss_kb) json += StrCat(",\"peak_rss_kb\":", *memory.peak_rss_kb);
      json += StrCat(",\"output_buffered_bytes\":", row.output_buffered_bytes);
      json.append(",\"client\":");
      AppendJsonString(&json, row.client);
      json.push_back('}');
    }
    json += StrCat("],\"queued\":", queued, "}\n");
    asio::post(
        io, [json = std::move(json), done = std::move(done)]() mutable { done(std::move(json)); });
  });
}

asio::thread_pool& Server::ProcReader() {
  if (!proc_reader_) {
    // Signals stay with the io thread: the new thread starts with all blocked.
    sigset_t all, previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, &previous);
    proc_reader_.emplace(1);
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }
  return *proc_reader_;
}

bool Server::EndSessionByOperator(std::string_view id) {
  for (const auto& [pid, session] : sessions_by_pid_) {
    if (session->id() != id) continue;
    std::shared_ptr<SessionRelay> keep = session;  // End erases it from the table
    LogInfo("session_ended_by_operator", {{"session", keep->id()}, {"worker_pid", pid}});
    keep->End("ended_by_operator",
              "This session was ended by the server's operator. Reload the page to start a new "
              "session.");
    return true;
  }
  return false;
}

}  // namespace sluice::broker
