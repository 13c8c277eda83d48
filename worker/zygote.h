// The zygote: a single-threaded process the broker starts (fork + exec of the
// sluice binary) before the broker has any thread. It loads the app once and
// forks one worker per session on request. Its command set is small on
// purpose (see ipc/zygote.capnp): fork a worker, kill a worker; it reports
// readiness, forks and exits.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace sluice::worker {

struct ZygoteConfig {
  int control_fd;    // SOCK_SEQPACKET to the broker
  pid_t broker_pid;  // the parent the zygote dies with
  std::string app_path;
  std::size_t max_message_bytes;  // limit on broker -> worker frames
};

// Never returns: exits when the broker closes the control socket (after
// killing its workers) or dies (PR_SET_PDEATHSIG).
[[noreturn]] void RunZygote(const ZygoteConfig& config);

}  // namespace sluice::worker
