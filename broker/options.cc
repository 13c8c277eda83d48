#include "broker/options.h"

#include <filesystem>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "shm_cache/store.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

absl::Status Bad(std::string_view flag, std::string_view why) {
  return absl::InvalidArgumentError(StrCat(flag, ": ", why));
}

template <class Int>
absl::Status ParseInt(std::string_view flag, const std::string& text, Int min, Int max, Int* out) {
  std::int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < static_cast<std::int64_t>(min) ||
      value > static_cast<std::int64_t>(max)) {
    return Bad(flag,
               StrCat("expected a whole number from ", min, " to ", max, ", got '", text, "'"));
  }
  *out = static_cast<Int>(value);
  return absl::OkStatus();
}

// Largest --cache-size accepted: more than any machine here has, and far
// from overflowing anything.
constexpr std::uint64_t kMaxCacheBytes = std::uint64_t{1} << 40;

absl::Status ParseCacheSize(std::string_view flag, const std::string& text, ServeOptions* options) {
  std::uint64_t bytes = 0;
  if (!ParseByteSize(text, &bytes)) {
    return Bad(flag, StrCat("expected a size like 512M, 2G or 1073741824, got '", text, "'"));
  }
  if (bytes > kMaxCacheBytes) return Bad(flag, StrCat("at most 1024G, got '", text, "'"));
  if (bytes > 0) {
    if (absl::Status fits = shm_cache::GeometryFor(bytes, shm_cache::kDefaultBytesPerSlot).status();
        !fits.ok()) {
      return Bad(flag, StrCat("'", text, "' is too small for the cache's index (", fits.message(),
                              "); use at least 1M, or 0 to turn the cache off"));
    }
  }
  options->cache_bytes = static_cast<std::size_t>(bytes);
  return absl::OkStatus();
}

absl::Status ParseDurationFlag(std::string_view flag, const std::string& text,
                               absl::Duration* out) {
  if (!absl::ParseDuration(text, out) || *out < absl::ZeroDuration()) {
    return Bad(flag, StrCat("expected a duration like 30s, 10m or 1h, got '", text, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

bool ParseByteSize(std::string_view text, std::uint64_t* bytes) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 19) return false;
  std::uint64_t number = 0;
  if (!absl::SimpleAtoi(ToAbsl(text.substr(0, digits)), &number)) return false;
  std::string_view suffix = text.substr(digits);
  int shift = 0;
  if (suffix.empty()) {
    shift = 0;
  } else if (suffix == "K" || suffix == "KiB") {
    shift = 10;
  } else if (suffix == "M" || suffix == "MiB") {
    shift = 20;
  } else if (suffix == "G" || suffix == "GiB") {
    shift = 30;
  } else {
    return false;
  }
  if (shift > 0 && number > (std::numeric_limits<std::uint64_t>::max() >> shift)) return false;
  *bytes = number << shift;
  return true;
}

std::string ServeUsage() {
  return R"(usage: sluice serve APP.so [flags]

Serves the app in APP.so (built with sluice_add_app) over HTTP and WebSocket.
Every browser tab gets its own worker process, forked from a zygote that
loaded the app once.

flags:
  --host ADDR              address to listen on (default 127.0.0.1)
  --port N                 TCP port, 0 = any free port (default 8501)
  --workers N              most live sessions; more tabs get "server busy" (default 256)
  --prefork K              workers kept forked and ready (default 2)
  --max-message-kb N       largest message a page may send, KiB (default 4096)
  --max-upload-mb N        largest file a viewer may upload, MiB; checked as
                           the bytes arrive (default 200)
  --reconnect-grace D      how long a dropped tab's session waits to be
                           resumed, e.g. 30s, 2m (default 30s)
  --web-dir DIR            page assets (default: installed next to the binary)
  --log-level LEVEL        debug, info, warning or error (default info)
  --cache-size SIZE        shared memory for st::cache_data, in bytes or with
                           a K, M or G suffix (also KiB, MiB, GiB; powers of
                           1024); at least 1M; 0 turns the shared cache off
                           (cached functions then just run) (default 1G)
  --admin-token-file FILE  turns on the admin endpoints (POST
                           /admin/cache/clear, POST /admin/reload); callers
                           must send
                           "Authorization: Bearer <the file's contents>".
                           Without it they answer 404
  --sandbox LEVEL          strict, standard or off: what confines each
                           worker (see README, "Sandbox"); strict needs
                           namespaces (default: strict where the host
                           permits them, else standard)
  --worker-memory-mb N     address space a worker may map beyond what it
                           inherits from the zygote, MiB; 0 = no bound
                           (default 2048)
  --allow-read PATH        at --sandbox=strict, also show workers PATH (a
                           file or directory, read-only); repeatable
  --rerun-timeout D        CPU time one run of the app may use before its
                           session is ended, e.g. 60s; 0 = no limit
                           (default 60s)
  --max-sessions-per-ip N  most sessions (live and queued) one client address
                           may hold; behind a load balancer every client has
                           the balancer's address; 0 = no limit (default 0)
  --idle-timeout D         end a session whose page sent nothing (no widget
                           change, no upload) for D, with a message on the
                           page; 0 = never (default 1h)
  --max-queue N            tabs that wait for a free worker when --workers
                           sessions are live; more get "server busy" at
                           once; 0 = no queue (default 100)
  --queue-timeout D        longest wait in that queue before "server busy"
                           (default 60s)
  --drain-timeout D        on SIGTERM, how long runs in progress may take to
                           finish before their sessions are ended, e.g.
                           10s; 0 = end at once (default 10s)
  --watch                  serve a new version of APP.so as soon as the file
                           is replaced (as POST /admin/reload and SIGUSR2 do)
  --help                   this text
)";
}

absl::StatusOr<ServeOptions> ParseServeOptions(const std::vector<std::string>& args) {
  ServeOptions options;
  bool have_app = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (!absl::StartsWith(arg, "--")) {
      if (have_app) return Bad(arg, "only one app library may be served");
      options.app_path = arg;
      have_app = true;
      continue;
    }
    std::string name = arg;
    std::string value;
    bool inline_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    auto take_value = [&]() -> absl::Status {
      if (inline_value) return absl::OkStatus();
      if (i + 1 >= args.size()) return Bad(name, "needs a value");
      value = args[++i];
      return absl::OkStatus();
    };
    absl::Status status;
    if (name == "--host") {
      if (status = take_value(); status.ok()) options.host = value;
    } else if (name == "--port") {
      if (status = take_value(); status.ok()) {
        status = ParseInt<std::uint16_t>(name, value, 0, 65535, &options.port);
      }
    } else if (name == "--workers") {
      if (status = take_value(); status.ok())
        status = ParseInt(name, value, 1, 100000, &options.workers);
    } else if (name == "--prefork") {
      if (status = take_value(); status.ok())
        status = ParseInt(name, value, 0, 10000, &options.prefork);
    } else if (name == "--max-message-kb") {
      if (status = take_value(); status.ok()) {
        status = ParseInt<std::size_t>(name, value, 1, 1024 * 1024, &options.max_message_kb);
      }
    } else if (name == "--max-upload-mb") {
      if (status = take_value(); status.ok()) {
        status = ParseInt<std::size_t>(name, value, 1, 1024 * 1024, &options.max_upload_mb);
      }
    } else if (name == "--reconnect-grace") {
      if (status = take_value(); status.ok()) {
        if (!absl::ParseDuration(value, &options.reconnect_grace) ||
            options.reconnect_grace < absl::ZeroDuration()) {
          status = Bad(name, StrCat("expected a duration like 30s or 2m, got '", value, "'"));
        }
      }
    } else if (name == "--web-dir") {
      if (status = take_value(); status.ok()) options.web_dir = value;
    } else if (name == "--log-level") {
      if (status = take_value(); status.ok() && !ParseLogLevel(value, &options.log_level)) {
        status = Bad(name, StrCat("expected debug, info, warning or error, got '", value, "'"));
      }
    } else if (name == "--cache-size") {
      if (status = take_value(); status.ok()) status = ParseCacheSize(name, value, &options);
    } else if (name == "--admin-token-file") {
      if (status = take_value(); status.ok()) {
        if (value.empty()) status = Bad(name, "needs a file name");
        options.admin_token_file = value;
      }
    } else if (name == "--sandbox") {
      sandbox::Level level;
      if (status = take_value(); status.ok()) {
        if (sandbox::ParseLevel(value, &level)) {
          options.sandbox = level;
        } else {
          status = Bad(name, StrCat("expected strict, standard or off, got '", value, "'"));
        }
      }
    } else if (name == "--worker-memory-mb") {
      if (status = take_value(); status.ok()) {
        status = ParseInt<std::uint64_t>(name, value, 0, 1 << 24, &options.worker_memory_mb);
      }
    } else if (name == "--allow-read") {
      if (status = take_value(); status.ok()) {
        std::error_code error;
        std::filesystem::path path = std::filesystem::canonical(value, error);
        if (error) {
          status = Bad(name, StrCat("'", value, "': ", error.message()));
        } else {
          options.allow_read.push_back(path.string());
        }
      }
    } else if (name == "--rerun-timeout") {
      if (status = take_value(); status.ok()) {
        if (!absl::ParseDuration(value, &options.rerun_timeout) ||
            options.rerun_timeout < absl::ZeroDuration()) {
          status = Bad(name, StrCat("expected a duration like 60s or 2m, got '", value, "'"));
        }
      }
    } else if (name == "--max-sessions-per-ip") {
      if (status = take_value(); status.ok())
        status = ParseInt(name, value, 0, 100000, &options.max_sessions_per_ip);
    } else if (name == "--idle-timeout") {
      if (status = take_value(); status.ok())
        status = ParseDurationFlag(name, value, &options.idle_timeout);
    } else if (name == "--max-queue") {
      if (status = take_value(); status.ok())
        status = ParseInt(name, value, 0, 100000, &options.max_queue);
    } else if (name == "--queue-timeout") {
      if (status = take_value(); status.ok())
        status = ParseDurationFlag(name, value, &options.queue_timeout);
    } else if (name == "--drain-timeout") {
      if (status = take_value(); status.ok()) {
        if (!absl::ParseDuration(value, &options.drain_timeout) ||
            options.drain_timeout < absl::ZeroDuration()) {
          status = Bad(name, StrCat("expected a duration like 10s or 1m, got '", value, "'"));
        }
      }
    } else if (name == "--watch") {
      if (inline_value) status = Bad(name, "takes no value");
      options.watch_app = true;
    } else {
      return Bad(name, "unknown flag (see sluice serve --help)");
    }
    if (!status.ok()) return status;
  }
  if (!have_app) return absl::InvalidArgumentError("missing the app library: sluice serve APP.so");
  if (options.prefork > options.workers) options.prefork = options.workers;
  return options;
}

}  // namespace sluice::broker
