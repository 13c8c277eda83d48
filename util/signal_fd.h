// Signals read as data: the signals are blocked in the calling thread and
// delivered through a descriptor that poll() can wait on, so a process that
// runs one loop (the zygote, the reaper) handles them there instead of in
// async handlers.
#pragma once

#include <initializer_list>

#include "util/unique_fd.h"

namespace sluice {

// Blocks `signals` and returns a non-blocking, close-on-exec signalfd for
// them. Invalid (the failing call logged) if either step fails.
UniqueFd BlockIntoSignalFd(std::initializer_list<int> signals);

}  // namespace sluice
