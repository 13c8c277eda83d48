// The zygote's parent, so that a crashing zygote does not take its workers
// with it. The process the broker starts as `sluice __zygote` forks once,
// before it loads anything: the child goes on as the zygote, the parent
// becomes this reaper, which runs no app code. At the strict level the
// reaper is pid 1 of the workers' pid namespace (its death, with the
// broker's, ends every process in it); at standard and off it is a
// child subreaper.
//
// While the zygote lives, the zygote forks and reaps its workers and tells
// the reaper of each fork and exit (the same ipc/zygote.capnp Forked and
// Exited events it sends the broker) over a private socket. When the zygote
// dies, its workers are reparented to the reaper, which then:
//   - tells the broker, on the zygote's control socket, that the zygote
//     exited and which workers survive (zygoteExited);
//   - reaps them and reports each exit (exited), as the zygote did;
//   - serves the broker's kill requests for them (only its own children);
//   - exits once the last one has, or at once when the broker closes the
//     socket (killing the survivors first).
// The reaper also reads what every worker prints and reports of refused
// calls, and logs and counts it (worker/output_reader.h); of the processes
// below the broker, it alone maps the counter page the broker shows at
// /metrics (worker/reaper_counters.h).
// If the broker dies, the reaper's parent-death signal ends it: SIGKILL at
// strict (the pid namespace goes with it), else SIGUSR1, which it catches to
// kill the zygote and every worker first.
#pragma once

#include <sys/types.h>

#include "util/unique_fd.h"
#include "worker/zygote.h"

namespace sluice::worker {

// Call first thing in the `__zygote` process, single-threaded. Returns only
// in the zygote (the child), with its end of the private socket to the
// reaper; the reaper never returns. `config.reaper_pid` is set to the
// reaper's pid (as the zygote's pid namespace numbers it).
UniqueFd SplitOffReaper(ZygoteConfig& config);

}  // namespace sluice::worker
