// Starting the broker's helper processes (the zygote, the cache keeper):
// fork + exec of this same binary (/proc/self/exe), so each helper is the
// right version and gets its own address-space randomisation, with the
// descriptors it needs at fixed numbers. Between fork and exec the child
// makes only async-signal-safe calls, so this is safe while other threads
// run (the session list's /proc reader, say).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ipc/packet.h"

namespace sluice::broker {

// Descriptor `fd` of the broker becomes descriptor `at` in the helper.
struct FdPlacement {
  int fd;
  int at;
};

// Runs `sluice args...` with `fds` placed (every other descriptor of the
// broker is close-on-exec). Returns the child's pid; the caller reaps it.
// `namespaces` (CLONE_NEW* flags) start the helper in new namespaces: with
// CLONE_NEWPID it is pid 1 of its own. `env` entries ("NAME=value") are
// added to (or replace their name in) the broker's environment.
absl::StatusOr<pid_t> StartHelper(const std::vector<std::string>& args,
                                  absl::Span<const FdPlacement> fds, int namespaces = 0,
                                  const std::vector<std::string>& env = {});

// Waits up to `timeout` for the helper's first packet on `socket` (its
// ready message). DeadlineExceeded if none comes; an empty packet means
// the helper exited first.
absl::StatusOr<ipc::Packet> ReceiveFirstPacket(int socket, std::chrono::milliseconds timeout);

// SIGKILLs `pid` and reaps it.
void KillAndReap(pid_t pid);
// Reaps `pid`, which has exited or is about to; "exit code 1", "killed by signal 9".
std::string ReapAndDescribe(pid_t pid);
// For a helper found broken, which may still run: SIGKILLs `pid` unless it
// is gone already, then reaps and describes it as ReapAndDescribe does.
std::string KillReapAndDescribe(pid_t pid);

}  // namespace sluice::broker
