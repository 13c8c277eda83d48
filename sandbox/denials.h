// Counting what the seccomp filter refused. The broker creates one shared
// page (a memfd it maps too, to show the count at /metrics); the zygote maps
// it before forking, so every worker adds to it from its SIGSYS handler.
// A hostile worker can write any number there: it is a statistic for the
// operator, not an audit trail.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/status/statusor.h"
#include "util/unique_fd.h"

namespace sluice::sandbox {

// Lives at the start of the shared page. Written by workers (any of them,
// concurrently, with atomic adds), read by the broker.
struct DenialCounters {
  std::atomic<std::uint64_t> denied_syscalls;
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// The shared page, unmapped exactly once.
class DenialPage {
 public:
  // Broker: a fresh zeroed page in a memfd; fd() is what the zygote gets.
  static absl::StatusOr<DenialPage> Create();
  // Zygote: maps the page the broker passed as `fd` (and closes it).
  static absl::StatusOr<DenialPage> Map(UniqueFd fd);

  DenialPage() = default;
  DenialPage(DenialPage&& other) noexcept;
  DenialPage& operator=(DenialPage&& other) noexcept;
  DenialPage(const DenialPage&) = delete;
  DenialPage& operator=(const DenialPage&) = delete;
  ~DenialPage();

  int fd() const { return fd_.get(); }
  void CloseFd() { fd_.reset(); }
  // Null when there is no page (the sandbox is off).
  DenialCounters* counters() const { return counters_; }
  std::uint64_t denied_syscalls() const {
    return counters_ ? counters_->denied_syscalls.load(std::memory_order_relaxed) : 0;
  }

 private:
  UniqueFd fd_;
  DenialCounters* counters_ = nullptr;
};

// Worker: makes every call the filter traps (SECCOMP_RET_TRAP) return
// EPERM to its caller and adds one to `counters` (may be null). Install
// before loading the filter. Async-signal-safe handler; process-wide.
absl::Status InstallDenialHandler(DenialCounters* counters);

}  // namespace sluice::sandbox
