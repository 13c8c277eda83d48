// The broker's hub: accepts connections, keeps the session table and the
// warm-worker pool, and routes the zygote's exit reports. Everything runs on
// one io thread, so none of this state needs a lock.
#pragma once

#include <sys/types.h>

#include <deque>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "broker/keeper_host.h"
#include "broker/net.h"
#include "broker/options.h"
#include "broker/static_files.h"
#include "broker/zygote_host.h"
#include "sandbox/denials.h"

namespace sluice::broker {

class PageConnection;
class Session;

class Server {
 public:
  // `keeper` is null when the shared cache is off (--cache-size 0).
  // `denials` is the workers' seccomp denial counter page (empty when the
  // sandbox is off).
  Server(asio::io_context& io, ServeOptions options, std::unique_ptr<ZygoteHost> zygote,
         std::unique_ptr<KeeperHost> keeper, sandbox::DenialPage denials, StaticFiles files,
         tcp::acceptor acceptor);
  ~Server();

  // Starts accepting, warming workers and watching SIGINT/SIGTERM.
  void Start();

  // A page said hello: resume its session if `token` names one, else start a
  // new session (or answer "busy" when --workers sessions are live).
  void OpenSession(const std::shared_ptr<PageConnection>& page, const std::string& token);

  std::string HealthJson() const;
  std::string MetricsText() const;
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
  void StartSession(const std::shared_ptr<PageConnection>& page, ForkedWorker worker);
  void OnSessionEnded(Session& session, std::string_view reason);
  void OnWorkerExited(pid_t pid, int exit_code, int signal);
  void RefillWarm();
  // Asks the zygote for a worker, with a keeper socket when the cache is on.
  void ForkWorker(ZygoteHost::ForkCallback done);
  std::string_view CacheState() const;
  void Shutdown(std::string_view why);
  int SessionsInUse() const { return static_cast<int>(sessions_by_pid_.size()) + starting_; }

  asio::io_context& io_;
  ServeOptions options_;
  std::unique_ptr<ZygoteHost> zygote_;
  std::unique_ptr<KeeperHost> keeper_;
  sandbox::DenialPage denials_;
  StaticFiles files_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer accept_retry_;
  absl::flat_hash_map<std::string, std::shared_ptr<Session>> sessions_by_token_;
  absl::flat_hash_map<pid_t, std::shared_ptr<Session>> sessions_by_pid_;
  std::deque<ForkedWorker> warm_;
  int warm_forks_in_flight_ = 0;
  int starting_ = 0;  // sessions waiting for a fork
  bool stopping_ = false;
};

}  // namespace sluice::broker
