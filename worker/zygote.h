// The zygote: a single-threaded process the broker starts (fork + exec of the
// sluice binary) before the broker has any thread. It loads the app once and
// forks one worker per session on request. Its command set is small on
// purpose (see ipc/zygote.capnp): fork a worker, kill a worker; it reports
// readiness, forks and exits.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sandbox/contain.h"
#include "worker/app_output.h"

namespace sluice::worker {

struct ZygoteConfig {
  int control_fd = -1;   // SOCK_SEQPACKET to the broker
  pid_t broker_pid = 0;  // the parent the zygote dies with
  std::string app_path;
  std::size_t max_message_bytes = 0;  // limit on broker -> worker frames
  int arena_fd = -1;                  // the sealed cache arena; -1: the cache is off
  std::size_t arena_bytes = 0;
  sandbox::WorkerSandboxConfig sandbox;  // what every worker applies to itself
  std::vector<std::string> allow_read;   // strict: visible besides the app and its libraries
  int denials_fd = -1;  // the reapers' counter page (worker/reaper_counters.h); -1: none.
                        // Only the reaper maps it: the zygote closes it at once
  OutputLimits output;  // what the reaper logs of each worker's output (worker/output_reader.h)
  int secrets_fd =
      -1;  // the secrets file, read (runtime/secrets.h) and closed before the app loads
  std::uint64_t cache_wait_timeout_ms = 0;       // --cache-wait-timeout; 0: wait for ever
  std::size_t warm_heap_bytes = 0;               // --warm-heap-kb (worker/warm_heap.h)
  std::chrono::milliseconds idle_trim_after{0};  // --idle-trim-after (worker/idle_memory.h)
  // Set by SplitOffReaper (worker/reaper.h):
  bool own_pid_namespace = false;  // strict: the reaper is pid 1 of our pid namespace
  pid_t reaper_pid = 0;            // our parent
  int denial_report_fd = -1;       // the zygote's own denial reports, to the reaper
};

// Never returns: exits when the broker closes the control socket (after
// killing its workers) or its parent, the reaper, dies (PR_SET_PDEATHSIG).
// First of all it splits off that reaper (worker/reaper.h), which keeps the
// workers running, and tells the broker, if the zygote dies; the zygote
// tells the reaper of every fork and exit. It reads the secrets from
// `secrets_fd` and closes it, so no worker inherits the file. Before it
// reports ready
// it maps the arena read-only, closes `arena_fd`, and prepares the cache
// runtime (runtime/cache_runtime.h); a failure there is a failed load.
// Every worker inherits the mapping; each fork request may carry the
// worker's keeper socket after its session socket. Each worker gets
// /dev/null as stdin and fresh pipes as stdout, stderr and denial-report
// channel (worker/stdio_pipes.h), whose read ends go to the reaper; the
// broker's naming of a worker's session is passed on to the reaper too.
// At the strict sandbox level the broker starts the process as pid 1 of its
// own namespaces (sandbox/namespaces.h), which the reaper stays (the zygote
// is its child in them); once the app is loaded the zygote
// moves into the read-only mount view (sandbox/mount_view.h). It compiles
// the workers' seccomp filter once, before any fork. Each Forked reply
// carries the new worker's pid as SCM_CREDENTIALS, which the kernel
// translates into the broker's pid namespace.
[[noreturn]] void RunZygote(ZygoteConfig config);

}  // namespace sluice::worker
