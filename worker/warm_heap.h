// A warm worker waits for its session anyway: it spends that wait faulting
// in heap its first run would otherwise fault in page by page (the hello
// app's first run writes ~800 KB of fresh heap: ~200 traps, 12-15 us each
// on a VM whose page faults are slow). Memory for the bytes it reserves is
// taken before the session needs it, never more than `bytes` per worker.
#pragma once

#include <cstddef>

namespace sluice::worker {

// Grows the heap by `bytes` and populates its pages in one call
// (MADV_POPULATE_WRITE; where the kernel lacks it, by touching a byte per
// page), then frees them to malloc, which keeps them for the worker's next
// allocations (worker/zygote.cc sets malloc's trim threshold far above
// this). Does nothing for 0, or when `session_fd` already has a command
// waiting: then the run would only wait behind the reserve. Call after the
// sandbox is in place (madvise is on its list).
void WarmHeap(std::size_t bytes, int session_fd);

}  // namespace sluice::worker
