// The strict level's namespaces, made once for the zygote (never per
// worker: fork + unshare costs ~1.4 ms, DESIGN.md). The broker starts the
// zygote with clone(ZygoteCloneFlags()) so that the zygote is pid 1 of a
// new pid namespace (unshare(CLONE_NEWPID) would move only its children,
// and the first one to exit would end the namespace) and has no network, no
// view of the broker's mounts and its own SysV/POSIX IPC; every worker
// inherits all of it through fork.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace sluice::sandbox {

// For clone(2) when the broker starts the zygote at the strict level.
int ZygoteCloneFlags();

// Whether this host lets sluice make those namespaces and mount in them
// (root, or user namespaces; no seccomp profile of a container runtime in
// the way). Forks a short-lived child to find out; call before threads.
absl::Status ProbeNamespaces();

// True in a process started with ZygoteCloneFlags(): pid 1, parent outside.
bool InOwnPidNamespace();

}  // namespace sluice::sandbox
