// A worker whose session has gone idle gives back the memory only a run
// needs. worker/zygote.cc tells malloc to keep what a run freed for the next
// run (so reruns do not fault it back in page by page), and a warm worker
// faults in a heap reserve for its first run (worker/warm_heap.h): while
// the viewer reads the page, that memory is held for nothing. Called by the
// runner's serve loop after --idle-trim-after without a command
// (runtime::RunHooks::when_idle); the next run faults back in what it uses.
#pragma once

namespace sluice::worker {

// Returns every free page of malloc's heap to the kernel (malloc_trim(0):
// the top of the heap is shrunk and free pages inside it are dropped with
// MADV_DONTNEED), and the stack pages below the caller's frame that earlier
// runs touched. What is still allocated stays where it is. Only from the
// worker's one thread, between runs.
void GiveBackIdleMemory();

}  // namespace sluice::worker
