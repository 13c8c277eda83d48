// Keeping workers out of the memory of the processes that serve them.
#pragma once

namespace sluice {

// Started without root, workers keep the broker's uid, and the kernel lets a
// process of that uid read a dumpable process's memory (/proc/PID/mem,
// opened read-only, which the seccomp policy allows) and reopen its files
// (/proc/PID/fd/N). Every process of sluice's own holds what some session
// must not see: the broker every session's traffic, the keeper the values
// being published, the reaper what every worker prints, the zygote the
// secrets. So each makes itself not dumpable, which gives its /proc files
// to root; a process it forks inherits that. As root there is no need (each
// worker has a uid of its own), and the process keeps its core dumps.
// Call early in each process, before it holds anything of a session's;
// exec'd helpers must call it again (execve makes them dumpable).
void KeepWorkersOutOfOurMemory();

}  // namespace sluice
