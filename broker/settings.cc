#include "broker/settings.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <type_traits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "broker/origin_check.h"
#include "shm_cache/store.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

template <class Int>
absl::Status IntIn(std::string_view text, Int min, Int max, Int* out) {
  std::int64_t value = 0;
  if (!absl::SimpleAtoi(ToAbsl(text), &value) || value < static_cast<std::int64_t>(min) ||
      value > static_cast<std::int64_t>(max)) {
    return absl::InvalidArgumentError(
        StrCat("expected a whole number from ", min, " to ", max, ", got '", text, "'"));
  }
  *out = static_cast<Int>(value);
  return absl::OkStatus();
}

// The longest duration a setting takes: "inf" or a century would overflow
// the clocks the processes add it to (steady_clock in nanoseconds).
constexpr absl::Duration kLongestDuration = absl::Hours(24 * 365);

absl::Status DurationOf(std::string_view text, std::string_view example, absl::Duration* out) {
  absl::Duration value;
  if (!absl::ParseDuration(ToAbsl(text), &value) || value < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        StrCat("expected a duration like ", example, " or 2m, got '", text, "'"));
  }
  if (value > kLongestDuration) {
    return absl::InvalidArgumentError(
        StrCat("expected a duration of at most 8760h (a year), got '", text, "'"));
  }
  *out = value;
  return absl::OkStatus();
}

// A switch: "true" or "false" (a bare --flag is "true").
template <bool ServeOptions::*field>
absl::Status BoolOf(std::string_view text, ServeOptions* options) {
  if (text != "true" && text != "false") {
    return absl::InvalidArgumentError(StrCat("expected true or false, got '", text, "'"));
  }
  options->*field = text == "true";
  return absl::OkStatus();
}

absl::Status NonEmpty(std::string_view text, std::string* out) {
  if (text.empty()) return absl::InvalidArgumentError("needs a file name");
  *out = std::string(text);
  return absl::OkStatus();
}

// Largest --cache-size accepted: more than any machine here has, and far
// from overflowing anything.
constexpr std::uint64_t kMaxCacheBytes = std::uint64_t{1} << 40;

absl::Status CacheSize(std::string_view text, ServeOptions* options) {
  std::uint64_t bytes = 0;
  if (!ParseByteSize(text, &bytes)) {
    return absl::InvalidArgumentError(
        StrCat("expected a size like 512M, 2G or 1073741824, got '", text, "'"));
  }
  if (bytes > kMaxCacheBytes) {
    return absl::InvalidArgumentError(StrCat("at most 1024G, got '", text, "'"));
  }
  if (bytes > 0) {
    if (absl::Status fits = shm_cache::GeometryFor(bytes, shm_cache::kDefaultBytesPerSlot).status();
        !fits.ok()) {
      return absl::InvalidArgumentError(StrCat("'", text, "' is too small for the cache's index (",
                                               fits.message(),
                                               "); use at least 1M, or 0 to turn the cache off"));
    }
  }
  options->cache_bytes = static_cast<std::size_t>(bytes);
  return absl::OkStatus();
}

absl::Status AllowRead(std::string_view text, ServeOptions* options) {
  std::error_code error;
  std::filesystem::path path = std::filesystem::canonical(std::string(text), error);
  if (error) return absl::InvalidArgumentError(StrCat("'", text, "': ", error.message()));
  options->allow_read.push_back(path.string());
  return absl::OkStatus();
}

constexpr std::string_view kLogLevelNames[] = {"debug", "info", "warning", "error"};

std::string Show(const std::string& value) { return value; }
std::string Show(bool value) { return value ? "true" : "false"; }
std::string Show(absl::Duration value) { return absl::FormatDuration(value); }
std::string Show(LogLevel value) { return std::string(kLogLevelNames[static_cast<int>(value)]); }
std::string Show(const std::optional<sandbox::Level>& value) {
  return value ? std::string(sandbox::LevelName(*value)) : "auto";
}
std::string Show(const std::vector<std::string>& value) { return absl::StrJoin(value, ","); }
template <class Int>
requires std::is_integral_v<Int> std::string Show(Int value) { return StrCat(value); }

// The show and copy functions of a row whose field is `field`.
#define SLUICE_FIELD(field)                            \
  [](const ServeOptions& o) { return Show(o.field); }, \
      [](const ServeOptions& from, ServeOptions* to) { to->field = from.field; }

constexpr Reload kLive = Reload::kLive;
constexpr Reload kRestart = Reload::kRestart;

const Setting kSettings[] = {
    {"app", "FILE", TomlType::kString, kRestart, true, false,
     "the app library to serve (on the command line, the first argument)", "none",
     [](std::string_view t, ServeOptions* o) { return NonEmpty(t, &o->app_path); },
     SLUICE_FIELD(app_path)},
    {"host", "ADDR", TomlType::kString, kRestart, false, false, "address to listen on", "",
     [](std::string_view t, ServeOptions* o) {
       o->host = std::string(t);
       return absl::OkStatus();
     },
     SLUICE_FIELD(host)},
    {"port", "N", TomlType::kInteger, kRestart, false, false, "TCP port, 0 = any free port", "",
     [](std::string_view t, ServeOptions* o) {
       return IntIn<std::uint16_t>(t, 0, 65535, &o->port);
     },
     SLUICE_FIELD(port)},
    {"allowed-origins", "ORIGIN", TomlType::kStringArray, kLive, false, true,
     "a web origin (https://dashboards.example.com) whose pages may open sessions besides the "
     "broker's own (the Origin of an upgrade must match its Host); * allows any site, which lets "
     "any web page a viewer visits use the app in their name; repeatable",
     "none",
     [](std::string_view t, ServeOptions* o) {
       if (absl::Status valid = ValidateAllowedOrigin(t); !valid.ok()) return valid;
       o->allowed_origins.emplace_back(t);
       return absl::OkStatus();
     },
     SLUICE_FIELD(allowed_origins)},
    {"workers", "N", TomlType::kInteger, kLive, false, false,
     "most live sessions; more tabs get \"server busy\"", "",
     [](std::string_view t, ServeOptions* o) { return IntIn(t, 1, 100000, &o->workers); },
     SLUICE_FIELD(workers)},
    {"prefork", "K", TomlType::kInteger, kLive, false, false,
     "workers kept forked and ready (at most --workers)", "",
     [](std::string_view t, ServeOptions* o) { return IntIn(t, 0, 10000, &o->prefork); },
     SLUICE_FIELD(prefork)},
    {"max-message-kb", "N", TomlType::kInteger, kRestart, false, false,
     "largest message a page may send, KiB", "",
     [](std::string_view t, ServeOptions* o) {
       return IntIn<std::size_t>(t, 1, 1024 * 1024, &o->max_message_kb);
     },
     SLUICE_FIELD(max_message_kb)},
    {"max-upload-mb", "N", TomlType::kInteger, kLive, false, false,
     "largest file a viewer may upload, MiB; checked as the bytes arrive", "",
     [](std::string_view t, ServeOptions* o) {
       return IntIn<std::size_t>(t, 1, 1024 * 1024, &o->max_upload_mb);
     },
     SLUICE_FIELD(max_upload_mb)},
    {"reconnect-grace", "D", TomlType::kString, kLive, false, false,
     "how long a dropped tab's session waits to be resumed, e.g. 30s, 2m", "",
     [](std::string_view t, ServeOptions* o) { return DurationOf(t, "30s", &o->reconnect_grace); },
     SLUICE_FIELD(reconnect_grace)},
    {"write-timeout", "D", TomlType::kString, kLive, false, false,
     "drop a page that has taken nothing of what the broker sends it for D (a client that keeps "
     "its connection alive but does not read); its session then waits --reconnect-grace; 0 = "
     "never",
     "",
     [](std::string_view t, ServeOptions* o) { return DurationOf(t, "30s", &o->write_timeout); },
     SLUICE_FIELD(write_timeout)},
    {"page-queue-mb", "N", TomlType::kInteger, kLive, false, false,
     "MiB of app output queued for one page above which its worker waits until the page has "
     "read most of it: memory per slow page against how much output goes on without waiting "
     "(a larger element is still sent); never a reason to close the page",
     "",
     [](std::string_view t, ServeOptions* o) {
       return IntIn<std::size_t>(t, 1, 4096, &o->page_queue_mb);
     },
     SLUICE_FIELD(page_queue_mb)},
    {"query-rate", "N", TomlType::kInteger, kLive, false, false,
     "queries (a grid's rows, a download's bytes) one page may send per second, and at once "
     "after a pause; past it a query is answered with an error and the page goes on",
     "",
     [](std::string_view t, ServeOptions* o) { return IntIn<int>(t, 1, 100000, &o->query_rate); },
     SLUICE_FIELD(query_rate)},
    {"web-dir", "DIR", TomlType::kString, kRestart, true, false, "page assets",
     "installed next to the binary",
     [](std::string_view t, ServeOptions* o) { return NonEmpty(t, &o->web_dir); },
     SLUICE_FIELD(web_dir)},
    {"log-level", "LEVEL", TomlType::kString, kLive, false, false,
     "debug, info, warning or error; SIGHUP changes the broker's, the zygote and its workers "
     "keep the one they started with",
     "",
     [](std::string_view t, ServeOptions* o) {
       if (ParseLogLevel(t, &o->log_level)) return absl::OkStatus();
       return absl::InvalidArgumentError(
           StrCat("expected debug, info, warning or error, got '", t, "'"));
     },
     SLUICE_FIELD(log_level)},
    {"cache-size", "SIZE", TomlType::kIntegerOrString, kRestart, false, false,
     "shared memory for st::cache_data, in bytes or with a K, M or G suffix (also KiB, MiB, GiB; "
     "powers of 1024); at least 1M; 0 turns the shared cache off (cached functions then just "
     "run)",
     "1G", CacheSize, SLUICE_FIELD(cache_bytes)},
    {"cache-wait-timeout", "D", TomlType::kString, kRestart, false, false,
     "longest a session waits for another session computing the same st::cache_data value "
     "before it computes the value itself (without sharing it); a session that holds a value's "
     "computation longer loses it to the next in line, and its value is not shared; 0 = no limit",
     "",
     [](std::string_view t, ServeOptions* o) {
       return DurationOf(t, "60s", &o->cache_wait_timeout);
     },
     SLUICE_FIELD(cache_wait_timeout)},
    {"admin-token-file", "FILE", TomlType::kString, kRestart, true, false,
     "turns on the admin endpoints (POST /admin/cache/clear); callers must send "
     "\"Authorization: Bearer <the file's contents>\". Without it they answer 404",
     "none", [](std::string_view t, ServeOptions* o) { return NonEmpty(t, &o->admin_token_file); },
     SLUICE_FIELD(admin_token_file)},
    {"sandbox", "LEVEL", TomlType::kString, kRestart, false, false,
     "strict, standard or off: what confines each worker (see README, \"Sandbox\"); strict needs "
     "namespaces",
     "strict where the host permits namespaces, else standard",
     [](std::string_view t, ServeOptions* o) {
       sandbox::Level level;
       if (!sandbox::ParseLevel(t, &level)) {
         return absl::InvalidArgumentError(
             StrCat("expected strict, standard or off, got '", t, "'"));
       }
       o->sandbox = level;
       return absl::OkStatus();
     },
     SLUICE_FIELD(sandbox)},
    {"worker-memory-mb", "N", TomlType::kInteger, kRestart, false, false,
     "address space a worker may map beyond what it inherits from the zygote, MiB; 0 = no bound",
     "",
     [](std::string_view t, ServeOptions* o) {
       return IntIn<std::uint64_t>(t, 0, 1 << 24, &o->worker_memory_mb);
     },
     SLUICE_FIELD(worker_memory_mb)},
    {"allow-read", "PATH", TomlType::kStringArray, kRestart, true, true,
     "at --sandbox=strict, also show workers PATH (a file or directory, read-only); repeatable",
     "none", AllowRead, SLUICE_FIELD(allow_read)},
    {"rerun-timeout", "D", TomlType::kString, kRestart, false, false,
     "CPU time one run of the app may use before its session is ended, e.g. 60s; 0 = no limit", "",
     [](std::string_view t, ServeOptions* o) { return DurationOf(t, "60s", &o->rerun_timeout); },
     SLUICE_FIELD(rerun_timeout)},
    {"warm-heap-kb", "N", TomlType::kInteger, kRestart, false, false,
     "heap a warm worker faults in while it waits for its session, KiB, so that its first run "
     "does not take those page faults one by one; each worker holds it from then on, used or not "
     "(the default covers the hello app's first run); 0 = none",
     "",
     [](std::string_view t, ServeOptions* o) {
       return IntIn<std::size_t>(t, 0, 1 << 20, &o->warm_heap_kb);
     },
     SLUICE_FIELD(warm_heap_kb)},
    {"idle-trim-after", "D", TomlType::kString, kRestart, false, false,
     "a session that has had no command and no run for D gives its worker's free memory back "
     "to the kernel (malloc's free heap, a warm worker's unused reserve, stack below the serve "
     "loop), so that only active sessions hold it; its next run faults back in what it uses; "
     "0 = never",
     "",
     [](std::string_view t, ServeOptions* o) { return DurationOf(t, "5s", &o->idle_trim_after); },
     SLUICE_FIELD(idle_trim_after)},
    {"app-output-lines-per-second", "N", TomlType::kInteger, kRestart, false, false,
     "lines of what an app prints (stdout, stderr) logged per second and worker, as "
     "\"app_output\" lines; more are dropped and counted in /metrics; 0 = log none",
     "",
     [](std::string_view t, ServeOptions* o) {
       return IntIn(t, 0, 1000000, &o->app_output_lines_per_second);
     },
     SLUICE_FIELD(app_output_lines_per_second)},
    {"app-output-line-bytes", "N", TomlType::kInteger, kRestart, false, false,
     "longest line of app output logged whole; a longer one is cut there, marked \"cut\":true", "",
     [](std::string_view t, ServeOptions* o) {
       return IntIn<std::size_t>(t, 64, 1 << 20, &o->app_output_line_bytes);
     },
     SLUICE_FIELD(app_output_line_bytes)},
    {"max-denials-per-worker", "N", TomlType::kInteger, kRestart, false, false,
     "refused system calls counted (and logged) for one worker, at most: a worker that forges "
     "its reports inflates the figure by no more",
     "",
     [](std::string_view t, ServeOptions* o) {
       return IntIn(t, 0, 1000000, &o->max_denials_per_worker);
     },
     SLUICE_FIELD(max_denials_per_worker)},
    {"max-sessions-per-ip", "N", TomlType::kInteger, kLive, false, false,
     "most sessions (live, starting and queued) one client address may hold; behind a load "
     "balancer every client has the balancer's address; 0 = no limit",
     "",
     [](std::string_view t, ServeOptions* o) {
       return IntIn(t, 0, 100000, &o->max_sessions_per_ip);
     },
     SLUICE_FIELD(max_sessions_per_ip)},
    {"idle-timeout", "D", TomlType::kString, kLive, false, false,
     "end a session whose page sent nothing (no widget change, no upload) for D, with a message "
     "on the page; 0 = never; SIGHUP applies it to sessions that start afterwards",
     "", [](std::string_view t, ServeOptions* o) { return DurationOf(t, "1h", &o->idle_timeout); },
     SLUICE_FIELD(idle_timeout)},
    {"max-queue", "N", TomlType::kInteger, kRestart, false, false,
     "tabs that wait in line for a free worker while --workers sessions are live, each shown its "
     "place; more get \"server busy\" at once; 0 = no line",
     "", [](std::string_view t, ServeOptions* o) { return IntIn(t, 0, 100000, &o->max_queue); },
     SLUICE_FIELD(max_queue)},
    {"queue-timeout", "D", TomlType::kString, kRestart, false, false,
     "longest wait in that line before \"server busy\"", "",
     [](std::string_view t, ServeOptions* o) { return DurationOf(t, "60s", &o->queue_timeout); },
     SLUICE_FIELD(queue_timeout)},
    {"drain-timeout", "D", TomlType::kString, kLive, false, false,
     "on SIGTERM, how long runs in progress may take to finish before their sessions are ended; "
     "0 = end them at once",
     "",
     [](std::string_view t, ServeOptions* o) { return DurationOf(t, "10s", &o->drain_timeout); },
     SLUICE_FIELD(drain_timeout)},
    {"watch", "", TomlType::kBoolean, kRestart, false, false,
     "serve a new version of the app library as soon as its file is replaced (as POST "
     "/admin/reload and SIGUSR2 do); as a key: watch = true",
     "off", BoolOf<&ServeOptions::watch_app>, SLUICE_FIELD(watch_app)},
    {"secrets", "FILE", TomlType::kString, kRestart, true, false,
     "TOML file of secrets for st::secrets(), read once before any worker starts; must not be "
     "readable by every user",
     "secrets.toml beside the --config file, if there is one",
     [](std::string_view t, ServeOptions* o) { return NonEmpty(t, &o->secrets_file); },
     SLUICE_FIELD(secrets_file)},
};

#undef SLUICE_FIELD

// Appends `text` wrapped to `width` columns, each line after the first
// indented by `indent` spaces.
void AppendWrapped(std::string* out, std::string_view text, std::size_t indent, std::size_t width) {
  std::size_t column = indent;
  bool first = true;
  while (!text.empty()) {
    std::size_t space = text.find(' ');
    std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (!first && column + 1 + word.size() > width) {
      out->append("\n").append(indent, ' ');
      column = indent;
      first = true;
    }
    if (!first) {
      out->push_back(' ');
      ++column;
    }
    out->append(word);
    column += word.size();
    first = false;
  }
}

}  // namespace

absl::Span<const Setting> Settings() { return kSettings; }

const Setting* FindSetting(std::string_view name) {
  for (const Setting& setting : kSettings) {
    if (setting.name == name) return &setting;
  }
  return nullptr;
}

void CopyLiveSettings(const ServeOptions& from, ServeOptions* to) {
  for (const Setting& setting : kSettings) {
    if (setting.reload == Reload::kLive) setting.copy(from, to);
  }
}

SettingsDiff DiffSettings(const ServeOptions& before, const ServeOptions& after) {
  SettingsDiff diff;
  for (const Setting& setting : kSettings) {
    std::string old_value = setting.show(before);
    std::string new_value = setting.show(after);
    if (old_value == new_value) continue;
    (setting.reload == Reload::kLive ? diff.live : diff.restart).emplace_back(setting.name);
    diff.changes.push_back(StrCat(setting.name, ": ", old_value.empty() ? "(none)" : old_value,
                                  " -> ", new_value.empty() ? "(none)" : new_value));
  }
  return diff;
}

std::string SettingsUsage() {
  constexpr std::size_t kMeaningColumn = 27;
  constexpr std::size_t kWidth = 79;
  const ServeOptions defaults;
  std::string out;
  for (const Setting& setting : kSettings) {
    std::string head = StrCat("  --", setting.name, setting.arg.empty() ? "" : " ", setting.arg);
    out.append(head);
    if (head.size() + 2 > kMeaningColumn) {
      out.append("\n").append(kMeaningColumn, ' ');
    } else {
      out.append(kMeaningColumn - head.size(), ' ');
    }
    std::string default_text =
        setting.default_text.empty() ? setting.show(defaults) : std::string(setting.default_text);
    std::string meaning = StrCat(setting.meaning, " (default ", default_text,
                                 setting.reload == Reload::kLive ? "; SIGHUP applies it" : "", ")");
    AppendWrapped(&out, meaning, kMeaningColumn, kWidth);
    out.append("\n");
  }
  return out;
}

}  // namespace sluice::broker
