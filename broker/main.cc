// The sluice command: `sluice serve APP.so` runs the broker; the broker
// re-executes this same binary as `sluice __zygote ...` for its zygote and
// `sluice __keeper ...` for its cache keeper. `sluice cache clear` and
// `sluice sessions` talk to a running server.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "broker/admin.h"
#include "broker/app_check.h"
#include "broker/cache_command.h"
#include "broker/check_config.h"
#include "broker/keeper_host.h"
#include "broker/options.h"
#include "broker/page_limits.h"
#include "broker/process_limits.h"
#include "broker/reload.h"
#include "broker/secrets_file.h"
#include "broker/server.h"
#include "broker/sessions_command.h"
#include "broker/static_files.h"
#include "broker/zygote_generations.h"
#include "broker/zygote_host.h"
#include "keeper/keeper.h"
#include "sandbox/namespaces.h"
#include "util/log.h"
#include "util/not_dumpable.h"
#include "util/strings.h"
#include "worker/reaper_counters.h"
#include "worker/zygote.h"

namespace sluice {
namespace {

constexpr int kUsageError = 2;

constexpr char kUsage[] = R"(usage: sluice COMMAND ...

commands:
  serve APP.so [flags]   serve an app (see: sluice serve --help)
  cache clear [flags]    clear a running server's shared cache
                         (see: sluice cache --help)
  sessions list|end ID   list or end a running server's sessions
                         (see: sluice sessions --help)
  check-config FILE      check a serve --config file without serving
  --version              print the version
  --help                 this text
)";

int Fail(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data());
  return kUsageError;
}

int Fail(std::string_view command, const absl::Status& status) {
  return Fail(command, ToStd(status.message()));
}

absl::StatusOr<broker::tcp::acceptor> Listen(broker::asio::io_context& io,
                                             const broker::ServeOptions& options) {
  namespace asio = broker::asio;
  boost::system::error_code ec;
  broker::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                    broker::tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return absl::InvalidArgumentError(
        StrCat("cannot resolve --host ", options.host, ": ", ec.message()));
  }
  broker::tcp::endpoint endpoint = endpoints.begin()->endpoint();
  broker::tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        StrCat("cannot listen on ", options.host, ":", options.port, ": ", ec.message()));
  }
  return acceptor;
}

// An explicit --sandbox is taken as asked (strict fails where namespaces
// are not permitted); without one, strict where the host permits it.
absl::StatusOr<sandbox::Level> ChooseSandboxLevel(std::optional<sandbox::Level> asked) {
  absl::Status namespaces = absl::OkStatus();
  if (!asked || *asked == sandbox::Level::kStrict) namespaces = sandbox::ProbeNamespaces();
  if (!asked) {
    if (namespaces.ok()) return sandbox::Level::kStrict;
    LogWarning("sandbox_strict_unavailable",
               {{"error", namespaces.message()}, {"using", "standard"}});
    return sandbox::Level::kStandard;
  }
  if (*asked == sandbox::Level::kStrict && !namespaces.ok()) {
    return absl::FailedPreconditionError(
        StrCat("--sandbox=strict: ", namespaces.message(), " (try --sandbox=standard)"));
  }
  return *asked;
}

void LogSandboxLayers(const broker::ServeOptions& options) {
  sandbox::Level level = *options.sandbox;
  if (level == sandbox::Level::kOff) {
    LogWarning("SANDBOX_OFF",
               {{"warning",
                 "--sandbox=off: workers run app code with the broker's uid, no seccomp filter, no "
                 "limits and no namespaces; a viewer who breaks the app reaches every session and "
                 "the host. For debugging only."}});
    return;
  }
  bool strict = level == sandbox::Level::kStrict;
  LogInfo("sandbox", {{"level", sandbox::LevelName(level)},
                      {"own_uid_per_worker", ::geteuid() == 0},
                      {"no_new_privs", true},
                      {"not_dumpable", true},
                      {"seccomp", "allowlist, denials EPERM and counted"},
                      {"worker_memory_mb", options.worker_memory_mb},
                      {"rerun_timeout", absl::FormatDuration(options.rerun_timeout)},
                      {"pid_net_ipc_mount_namespaces", strict},
                      {"allow_read", static_cast<int>(options.allow_read.size())}});
}

int Serve(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(broker::ServeUsage().c_str(), stdout);
      return 0;
    }
  }
  auto options = broker::ParseServeOptions(args);
  if (!options.ok()) return Fail("sluice serve", options.status());
  SetLogLevel(options->log_level);
  // A log line to a stderr pipe nobody reads any more must fail (and be
  // counted), not end the broker; so must a write to a page that went away.
  ::signal(SIGPIPE, SIG_IGN);
  // SIGHUP re-reads the settings once the server runs; one that comes
  // earlier must not end the broker (its default action).
  ::signal(SIGHUP, SIG_IGN);
  broker::RaiseOpenFileLimit(options->workers, options->prefork);
  KeepWorkersOutOfOurMemory();
  if (!options->admin_token_file.empty()) {
    auto token = broker::ReadTokenFile(options->admin_token_file);
    if (!token.ok()) return Fail("sluice serve", token.status());
    options->admin_token = *std::move(token);
  }
  broker::SecretsFile secrets;
  if (!options->secrets_file.empty()) {
    auto opened = broker::OpenSecretsFile(options->secrets_file, options->allow_read);
    if (!opened.ok()) return Fail("sluice serve", opened.status());
    secrets = *std::move(opened);
  }
  if (auto status = broker::CheckAppLibrary(options->app_path); !status.ok()) {
    return Fail("sluice serve", status);
  }
  const broker::ServeOptions parsed = *options;  // what SIGHUP's re-read is compared with

  broker::asio::io_context io(1);
  auto acceptor = Listen(io, *options);
  if (!acceptor.ok()) return Fail("sluice serve", acceptor.status());

  // Whatever signal state sluice was started with (an ignored SIGCHLD, a
  // blocked mask) would pass to the zygote and break its child reaping.
  ::signal(SIGCHLD, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // The keeper and the zygote are forked before any thread exists in this
  // process; the keeper first, because the zygote maps the arena the keeper
  // has formatted and sealed.
  std::unique_ptr<broker::KeeperHost> keeper;
  if (options->cache_bytes > 0) {
    auto started = broker::KeeperHost::Start(options->cache_bytes, options->cache_wait_timeout);
    if (!started.ok()) return Fail("sluice serve", started.status());
    keeper = *std::move(started);
  }
  auto level = ChooseSandboxLevel(options->sandbox);
  if (!level.ok()) return Fail("sluice serve", level.status());
  options->sandbox = *level;
  if (secrets.fd.valid()) broker::WarnIfWorkersCanOpen(options->secrets_file, *level);
  // Counted by each zygote's reaper, whatever the level (worker/reaper_counters.h).
  auto counters = worker::ReaperCounterPage::Create();
  if (!counters.ok()) return Fail("sluice serve", counters.status());
  broker::ZygoteLaunch launch{options->app_path, broker::PageLimitsFor(*options).max_message_bytes};
  if (keeper) {
    launch.arena_fd = keeper->arena_fd();
    launch.arena_bytes = keeper->arena_bytes();
  }
  launch.sandbox = {*level, options->worker_memory_mb << 20, options->rerun_timeout};
  launch.allow_read = options->allow_read;
  launch.denials_fd = counters->fd();
  launch.output = {options->app_output_lines_per_second, options->app_output_line_bytes,
                   options->max_denials_per_worker};
  launch.log_level = options->log_level;
  launch.cache_wait_timeout = options->cache_wait_timeout;
  launch.warm_heap_bytes = options->warm_heap_kb << 10;
  launch.idle_trim_after = options->idle_trim_after;
  // Kept open (close-on-exec) while the broker runs, so that a zygote
  // started again later can be given the same file.
  launch.secrets_fd = secrets.fd.get();
  auto zygote = broker::ZygoteHost::Start(launch);
  std::unique_ptr<broker::ZygoteGenerations> zygotes;
  // Later zygotes (a reload, a restart) get copies of the arena and denial
  // page descriptors, which the generations keep.
  if (zygote.ok()) {
    zygotes = std::make_unique<broker::ZygoteGenerations>(io, launch, *std::move(zygote));
  }
  if (keeper) keeper->CloseArenaFd();
  counters->CloseFd();
  if (!zygotes) return Fail("sluice serve", zygote.status());
  LogSandboxLayers(*options);

  std::string web_dir = options->web_dir.empty() ? broker::DefaultWebDir() : options->web_dir;
  auto files = broker::StaticFiles::Load(web_dir);
  if (!files.ok()) LogWarning("page_assets_missing", {{"error", files.status().message()}});

  auto endpoint = acceptor->local_endpoint();
  broker::Server server(io, *options, std::move(zygotes), std::move(keeper), *std::move(counters),
                        files.ok() ? std::move(*files)
                                   : broker::StaticFiles::Missing(ToStd(files.status().message())),
                        std::move(*acceptor));
  broker::SettingsReloader reloader(io, args, parsed, server);
  reloader.Start();
  server.Start();
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = StrCat("[", host, "]");
  LogInfo("listening", {{"url", StrCat("http://", host, ":", endpoint.port(), "/")},
                        {"port", endpoint.port()},
                        {"workers", options->workers},
                        {"prefork", options->prefork},
                        {"cache_bytes", options->cache_bytes},
                        {"admin", !options->admin_token.empty()}});
  io.run();
  LogInfo("stopped");
  return 0;
}

int Zygote(const std::vector<std::string>& args) {
  worker::ZygoteConfig config;
  if (args.empty()) return kUsageError;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    const std::string& name = args[i];
    const std::string& text = args[i + 1];
    if (name == "--sandbox") {
      if (!sandbox::ParseLevel(text, &config.sandbox.level)) return kUsageError;
      continue;
    }
    if (name == "--allow-read") {
      config.allow_read.push_back(text);
      continue;
    }
    if (name == "--log-level") {
      LogLevel level;
      if (!ParseLogLevel(text, &level)) return kUsageError;
      SetLogLevel(level);
      continue;
    }
    std::int64_t value = 0;
    if (!absl::SimpleAtoi(text, &value)) return kUsageError;
    if (name == "--control-fd") config.control_fd = static_cast<int>(value);
    if (name == "--broker-pid") config.broker_pid = static_cast<pid_t>(value);
    if (name == "--max-message-bytes") config.max_message_bytes = static_cast<std::size_t>(value);
    if (name == "--arena-fd") config.arena_fd = static_cast<int>(value);
    if (name == "--arena-bytes") config.arena_bytes = static_cast<std::size_t>(value);
    if (name == "--cache-wait-timeout-ms" && value >= 0) {
      config.cache_wait_timeout_ms = static_cast<std::uint64_t>(value);
    }
    if (name == "--denials-fd") config.denials_fd = static_cast<int>(value);
    if (name == "--app-output-lines-per-second")
      config.output.lines_per_second = static_cast<int>(value);
    if (name == "--app-output-line-bytes")
      config.output.line_bytes = static_cast<std::size_t>(value);
    if (name == "--max-denials-per-worker")
      config.output.denials_per_worker = static_cast<int>(value);
    if (name == "--secrets-fd") config.secrets_fd = static_cast<int>(value);
    if (name == "--warm-heap-bytes" && value >= 0)
      config.warm_heap_bytes = static_cast<std::size_t>(value);
    if (name == "--idle-trim-after-ms" && value >= 0)
      config.idle_trim_after = std::chrono::milliseconds(value);
    if (name == "--worker-memory-bytes")
      config.sandbox.memory_bytes = static_cast<std::uint64_t>(value);
    if (name == "--rerun-timeout-ms") config.sandbox.rerun_timeout = absl::Milliseconds(value);
  }
  if (config.control_fd < 0 || config.broker_pid <= 0) return kUsageError;
  if (config.arena_fd >= 0 && config.arena_bytes == 0) return kUsageError;
  config.app_path = args.back();
  worker::RunZygote(config);
}

int Keeper(const std::vector<std::string>& args) {
  keeper::KeeperConfig config{-1, -1, 0, 0};
  if (args.size() % 2 != 0) return kUsageError;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    std::int64_t value = 0;
    if (!absl::SimpleAtoi(args[i + 1], &value)) return kUsageError;
    if (args[i] == "--control-fd") config.control_fd = static_cast<int>(value);
    if (args[i] == "--arena-fd") config.arena_fd = static_cast<int>(value);
    if (args[i] == "--broker-pid") config.broker_pid = static_cast<pid_t>(value);
    if (args[i] == "--wait-timeout-ms" && value >= 0) {
      config.owner_timeout_ms = static_cast<std::uint64_t>(value);
    }
  }
  if (config.control_fd < 0 || config.arena_fd < 0 || config.broker_pid <= 0) return kUsageError;
  keeper::RunKeeper(config);
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  sluice::broker::EnsureStandardDescriptors();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(sluice::kUsage, stderr);
    return sluice::kUsageError;
  }
  std::string command = args.front();
  args.erase(args.begin());
  if (command == "serve") return sluice::Serve(args);
  if (command == "__zygote") return sluice::Zygote(args);
  if (command == "__keeper") return sluice::Keeper(args);
  if (command == "cache") return sluice::broker::RunCacheCommand(args);
  if (command == "sessions") return sluice::broker::RunSessionsCommand(args);
  if (command == "check-config") return sluice::broker::RunCheckConfig(args);
  if (command == "--version" || command == "version") {
    std::printf("sluice %s\n", SLUICE_VERSION);
    return 0;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(sluice::kUsage, stdout);
    return 0;
  }
  return sluice::Fail("sluice",
                      sluice::StrCat("unknown command '", command, "' (see sluice --help)"));
}
