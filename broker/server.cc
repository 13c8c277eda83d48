#include "broker/server.h"

#include <signal.h>
#include <sys/random.h>

#include <cerrno>

#include "absl/strings/escaping.h"
#include "broker/http_connection.h"
#include "broker/metrics.h"
#include "broker/page_connection.h"
#include "broker/session.h"
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

}  // namespace

Server::Server(asio::io_context& io, ServeOptions options, std::unique_ptr<ZygoteHost> zygote,
               std::unique_ptr<KeeperHost> keeper, sandbox::DenialPage denials, StaticFiles files,
               tcp::acceptor acceptor)
    : io_(io),
      options_(std::move(options)),
      zygote_(std::move(zygote)),
      keeper_(std::move(keeper)),
      denials_(std::move(denials)),
      files_(std::move(files)),
      acceptor_(std::move(acceptor)),
      signals_(io, SIGINT, SIGTERM),
      accept_retry_(io) {}

Server::~Server() = default;

void Server::Start() {
  if (keeper_) keeper_->Attach(io_);
  zygote_->Attach(io_,
                  [this](pid_t pid, int code, int signal) { OnWorkerExited(pid, code, signal); });
  signals_.async_wait([this](boost::system::error_code ec, int signal) {
    if (!ec) Shutdown(signal == SIGTERM ? "SIGTERM" : "SIGINT");
  });
  RefillWarm();
  Accept();
}

void Server::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (stopping_) return;
    if (ec) {
      // Out of descriptors and the like: the connection stays in the backlog,
      // so accepting again at once would spin. Wait a little first.
      LogWarning("accept_failed", {{"error", ec.message()}});
      accept_retry_.expires_after(kAcceptRetry);
      accept_retry_.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec && !stopping_) Accept();
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
  if (stopping_) {
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
  if (SessionsInUse() >= options_.workers) {
    LogWarning("server_busy", {{"sessions", SessionsInUse()}, {"workers", options_.workers}});
    page->SendNotice(ipc::Notice::Kind::BUSY,
                     StrCat("The server is busy: all ", options_.workers,
                            " sessions are in use. Please retry in a moment."));
    page->CloseWith(websocket::close_code::try_again_later, "server busy");
    return;
  }
  if (!warm_.empty()) {
    ForkedWorker worker = std::move(warm_.front());
    warm_.pop_front();
    StartSession(page, std::move(worker));
    RefillWarm();
    return;
  }
  ++starting_;
  std::weak_ptr<PageConnection> weak_page = page;
  ForkWorker([this, weak_page](absl::StatusOr<ForkedWorker> worker) {
    --starting_;
    auto page = weak_page.lock();
    if (!worker.ok()) {
      LogError("worker_fork_failed", {{"error", worker.status().message()}});
      if (page) {
        page->SendNotice(ipc::Notice::Kind::BUSY,
                         StrCat("Could not start a session: ", worker.status().message()));
        page->CloseWith(websocket::close_code::try_again_later, "no worker");
      }
      return;
    }
    if (!page || stopping_) {
      warm_.push_back(std::move(*worker));  // nobody to serve: keep it warm
      return;
    }
    StartSession(page, std::move(*worker));
  });
}

void Server::StartSession(const std::shared_ptr<PageConnection>& page, ForkedWorker worker) {
  auto link = std::make_shared<WorkerLink>(io_, std::move(worker.socket));
  auto session = std::make_shared<Session>(
      io_, RandomHex(8), RandomHex(24), worker.pid, std::move(link), options_.reconnect_grace,
      UploadLimitsFor(options_.max_message_kb << 10, std::uint64_t{options_.max_upload_mb} << 20),
      [this](Session& ended, std::string_view reason) { OnSessionEnded(ended, reason); });
  sessions_by_token_[session->token()] = session;
  sessions_by_pid_[worker.pid] = session;
  LogInfo("session_started", {{"session", session->id()}, {"pid", worker.pid}});
  session->Begin(page);
}

void Server::OnSessionEnded(Session& session, std::string_view reason) {
  LogInfo("session_ended", {{"session", session.id()}, {"pid", session.pid()}, {"reason", reason}});
  zygote_->Kill(session.pid());
  sessions_by_token_.erase(session.token());
  sessions_by_pid_.erase(session.pid());
  RefillWarm();
}

void Server::OnWorkerExited(pid_t pid, int exit_code, int signal) {
  for (auto it = warm_.begin(); it != warm_.end(); ++it) {
    if (it->pid == pid) {
      LogWarning("warm_worker_exited",
                 {{"pid", pid}, {"exit_code", exit_code}, {"signal", signal}});
      warm_.erase(it);
      RefillWarm();
      return;
    }
  }
  if (auto it = sessions_by_pid_.find(pid); it != sessions_by_pid_.end()) {
    std::shared_ptr<Session> session = it->second;
    session->WorkerExited(exit_code, signal);
  }
}

void Server::RefillWarm() {
  if (stopping_) return;
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
      warm_.push_back(std::move(*worker));
    });
  }
}

void Server::ForkWorker(ZygoteHost::ForkCallback done) {
  zygote_->Fork(keeper_ ? keeper_->NewWorkerSocket() : UniqueFd(), std::move(done));
}

void Server::Shutdown(std::string_view why) {
  if (stopping_) return;
  stopping_ = true;
  LogInfo("shutting_down",
          {{"signal", why}, {"sessions", static_cast<int>(sessions_by_pid_.size())}});
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
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
  AppendJsonString(&json, zygote_->app_name());
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
  snapshot.sandbox_denied_syscalls = denials_.denied_syscalls();
  return RenderMetrics(snapshot);
}

void Server::ApplyLiveSettings(const ServeOptions& next) {
  CopyLiveSettings(next, &options_);
  SetLogLevel(options_.log_level);
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

}  // namespace sluice::broker
