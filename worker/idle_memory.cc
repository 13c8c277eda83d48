#include "worker/idle_memory.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "util/log.h"
#include "util/small_file.h"

namespace sluice::worker {

namespace {

// Room left below the caller's frame for the calls that do the dropping
// (madvise's own frame must not lose its return address).
constexpr std::uintptr_t kStackMarginPages = 2;

// Where the main thread's stack mapping begins: the lowest address any run
// could have touched. From /proc/self/maps (the strict sandbox's mount view
// has a /proc, hidepid'd, where a worker still sees itself); nullopt
// without it.
std::optional<std::uintptr_t> StackMappingStart() {
  std::string maps = ReadSmallFile("/proc/self/maps", 1u << 20);
  std::size_t tag = maps.find(" [stack]\n");
  if (tag == std::string::npos) return std::nullopt;
  std::size_t line = maps.rfind('\n', tag);
  line = line == std::string::npos ? 0 : line + 1;
  std::size_t dash = maps.find('-', line);
  std::uint64_t start = 0;
  if (dash == std::string::npos || dash > tag ||
      !absl::SimpleHexAtoi(absl::string_view(maps.data() + line, dash - line), &start)) {
    return std::nullopt;
  }
  return static_cast<std::uintptr_t>(start);
}

// Drops the stack pages below the caller's frame (and a margin): earlier
// runs may have gone deep, the serve loop waits near the top. The contents
// below the stack pointer are dead, and a page dropped reads as zeros when
// next used. Returns the bytes advised, 0 if it could not tell where the
// stack begins.
[[gnu::noinline]] std::uintptr_t DropStackBelowHere() {
  std::optional<std::uintptr_t> lowest = StackMappingStart();
  if (!lowest) return 0;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  volatile char here = 0;
  std::uintptr_t top =
      (reinterpret_cast<std::uintptr_t>(&here) & ~(page - 1)) - kStackMarginPages * page;
  if (top <= *lowest) return 0;
  if (::madvise(reinterpret_cast<void*>(*lowest), top - *lowest, MADV_DONTNEED) != 0) {
    LogSyscallError("madvise(stack, MADV_DONTNEED)", errno);
    return 0;
  }
  return top - *lowest;
}

}  // namespace

void GiveBackIdleMemory() {
  // The stack first: reading /proc allocates, and the trim then gives that
  // back too.
  std::uintptr_t stack = DropStackBelowHere();
  bool heap = ::malloc_trim(0) != 0;
  LogDebug("idle_memory_given_back",
           {{"stack_bytes", static_cast<std::int64_t>(stack)}, {"heap_released", heap}});
}

}  // namespace sluice::worker
