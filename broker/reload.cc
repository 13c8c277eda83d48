#include "broker/reload.h"

#include <signal.h>

#include "absl/strings/str_join.h"
#include "broker/server.h"
#include "broker/settings.h"
#include "util/log.h"

namespace sluice::broker {

SettingsReloader::SettingsReloader(asio::io_context& io, std::vector<std::string> args,
                                   ServeOptions started_with, Server& server)
    : signals_(io, SIGHUP),
      args_(std::move(args)),
      current_(std::move(started_with)),
      server_(server) {}

void SettingsReloader::Start() { Wait(); }

void SettingsReloader::Wait() {
  signals_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;  // cancelled: the server is stopping
    Reload();
    Wait();
  });
}

void SettingsReloader::Reload() {
  absl::StatusOr<ServeOptions> next = ParseServeOptions(args_);
  if (!next.ok()) {
    LogError("config_reload_failed",
             {{"config", current_.config_file}, {"error", next.status().message()},
              {"kept", "every setting as it was"}});
    return;
  }
  SettingsDiff diff = DiffSettings(current_, *next);
  auto report = [&] {
    LogInfo("config_reloaded", {{"config", current_.config_file},
                                {"applied", absl::StrJoin(diff.live, ",")},
                                {"needs_restart", absl::StrJoin(diff.restart, ",")},
                                {"changes", absl::StrJoin(diff.changes, "; ")}});
  };
  // Reported under the more talkative of the old and new log levels, so a
  // reload that quiets the log still says so.
  bool quieter = next->log_level > current_.log_level;
  if (quieter) report();
  CopyLiveSettings(*next, &current_);
  server_.ApplyLiveSettings(*next);
  if (!quieter) report();
}

}  // namespace sluice::broker
