// `sluice serve` settings and their command-line parsing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sandbox/level.h"
#include "util/log.h"

namespace sluice::broker {

// Each field is a row of the settings table (broker/settings.h), which
// documents it, except admin_token and config_file.
struct ServeOptions {
  std::string app_path;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8501;
  int workers = 256;                  // live sessions at most
  int prefork = 2;                    // warm workers kept ready
  std::size_t max_message_kb = 4096;  // largest frame a page may send
  std::size_t max_upload_mb = 200;    // largest file a page may upload
  absl::Duration reconnect_grace = absl::Seconds(30);
  // A page whose send queue made no progress for this long is dropped; 0: never.
  absl::Duration write_timeout = absl::Seconds(30);
  // Bytes queued for a page above which its worker waits (broker/page_limits.h).
  std::size_t page_queue_mb = 16;
  // Queries (a grid's rows, a download) a page may send per second; the
  // same number may come at once after a pause (broker/page_limits.h).
  int query_rate = 100;
  // Origins besides the request's own Host whose pages may open a
  // WebSocket ("*": any; broker/origin_check.h).
  std::vector<std::string> allowed_origins;
  std::string web_dir;  // empty: next to the binary
  LogLevel log_level = LogLevel::kInfo;
  std::size_t cache_bytes = std::size_t{1} << 30;  // the cache_data arena; 0: no shared cache
  std::string admin_token_file;                    // empty: the admin endpoints are off
  std::string admin_token;  // read from admin_token_file before anything starts
  // The workers' sandbox (sandbox/). Unset: strict where the host permits
  // namespaces, else standard (decided at start, and logged).
  std::optional<sandbox::Level> sandbox;
  std::uint64_t worker_memory_mb = 2048;             // address space a worker may add; 0: no bound
  std::vector<std::string> allow_read;               // canonical paths, visible read-only (strict)
  absl::Duration rerun_timeout = absl::Seconds(60);  // CPU time per run; 0: no limit
  std::size_t warm_heap_kb =
      1024;  // heap a warm worker faults in while it waits (worker/warm_heap.h)
  // A session idle this long gives its worker's free memory back
  // (worker/idle_memory.h); 0: never.
  absl::Duration idle_trim_after = absl::Seconds(5);
  // What a worker prints, logged by its zygote's reaper (worker/output_reader.h).
  int app_output_lines_per_second = 100;     // per worker; more are dropped and counted
  std::size_t app_output_line_bytes = 4096;  // longer lines are cut
  int max_denials_per_worker = 1000;         // denied calls counted for one worker, at most
  // Worker pool policy (broker/session_queue.h, README "Worker pool").
  int max_sessions_per_ip = 0;                   // live + queued per client address; 0: no limit
  absl::Duration idle_timeout = absl::Hours(1);  // no interaction for this long ends it; 0: never
  int max_queue = 100;                           // tabs waiting for a worker; 0: busy at once
  absl::Duration queue_timeout = absl::Seconds(60);  // longest wait in the queue
  absl::Duration drain_timeout = absl::Seconds(10);  // SIGTERM: how long runs may finish
  bool watch_app = false;    // reload when the app library file is replaced (inotify)
  std::string config_file;   // --config, as given; empty: none
  std::string secrets_file;  // --secrets, or secrets.toml beside the config file; empty: none

  // Longest wait for another worker's cache_data compute, and longest hold
  // of one (--cache-wait-timeout); 0: no bound.
  absl::Duration cache_wait_timeout = absl::Seconds(60);
};

// Parses a byte count: plain bytes, or with a K, M or G suffix (also KiB,
// MiB, GiB; all powers of 1024). False if `text` is not one.
bool ParseByteSize(std::string_view text, std::uint64_t* bytes);

// With a --config file but no secrets file named, secrets.toml beside the
// config file if it exists.
void ResolveSecretsFile(ServeOptions* options);

// Text of `sluice serve --help`.
std::string ServeUsage();

// Parses the arguments after `serve`: first the --config file if one is
// named, then the flags on top of it (a repeatable flag replaces the file's
// list). InvalidArgument errors are one line, naming the flag, or the file,
// line and key.
absl::StatusOr<ServeOptions> ParseServeOptions(const std::vector<std::string>& args);

}  // namespace sluice::broker
