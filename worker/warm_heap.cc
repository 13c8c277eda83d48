#include "worker/warm_heap.h"

#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "util/log.h"

namespace sluice::worker {

namespace {

bool CommandWaiting(int session_fd) {
  pollfd ready{session_fd, POLLIN, 0};
  return ::poll(&ready, 1, 0) > 0;
}

}  // namespace

void WarmHeap(std::size_t bytes, int session_fd) {
  if (bytes == 0 || CommandWaiting(session_fd)) return;
  // Below malloc's mmap threshold, so from the heap that later
  // allocations reuse, not from a mapping that free() gives back.
  void* block = std::malloc(bytes);
  if (block == nullptr) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto begin = (reinterpret_cast<std::uintptr_t>(block) + page - 1) & ~(page - 1);
  auto end = (reinterpret_cast<std::uintptr_t>(block) + bytes) & ~(page - 1);
  if (end > begin) {
    const char* how = "populate_write";
    if (::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE) != 0) {
      // Before Linux 5.14 (EINVAL): one trap per page, still before the session.
      how = "touch";
      for (std::uintptr_t at = begin; at < end; at += page) {
        *reinterpret_cast<volatile char*>(at) = 0;
      }
    }
    LogDebug("warm_heap", {{"bytes", static_cast<std::uint64_t>(end - begin)}, {"how", how}});
  }
  std::free(block);
}

}  // namespace sluice::worker
