// Who a worker runs as. Started as root, each worker gets a uid and gid of
// its own (kWorkerIdBase + a slot the broker hands out, unique among live
// workers of every zygote generation: broker/zygote_generations.h), with no
// supplementary groups and no capabilities, so that the kernel's own checks
// keep workers apart: another worker's process is not ours to signal,
// ptrace or read through /proc/PID/mem. Started as anyone else, a worker
// keeps that uid (the other layers still hold).
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"

namespace sluice::sandbox {

// Workers' ids are kWorkerIdBase + slot, slot < the most workers (warm or
// in a session, of any zygote generation) ever alive at once. The
// range is far above the ids distributions hand out to users and services.
inline constexpr uid_t kWorkerIdBase = 1'500'000'000;

// Switches the calling process to uid = gid = kWorkerIdBase + slot, with no
// supplementary groups, when it runs as root; `how` says which path it took,
// for the log.
absl::Status DropToWorkerIds(int slot, std::string* how);

// In the zygote, run as root: no supplementary groups, so that workers
// inherit none and need not drop them each (a credentials change costs a
// new worker time). Does nothing for anyone else.
absl::Status DropSupplementaryGroups();

}  // namespace sluice::sandbox
