// Figures the reapers count and the broker shows at /metrics: seccomp
// denials that contained processes reported (sandbox/denials.h) and lines of
// app output that were dropped (worker/output_reader.h). One shared page: a
// memfd the broker creates and keeps; each zygote's reaper maps it once it
// has forked its zygote, and the zygote closes its copy of the descriptor
// before it loads the app. So no process that runs app code maps the page
// or holds its descriptor: a hostile worker cannot write these numbers,
// only make its own reports, which the reaper bounds.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/status/statusor.h"
#include "util/unique_fd.h"

namespace sluice::worker {

// Lives at the start of the shared page. Written by reapers (any of them,
// concurrently, with atomic adds; one per zygote generation), read by the
// broker. A reaper that dies mid-way leaves whole numbers.
struct ReaperCounters {
  std::atomic<std::uint64_t> denied_syscalls;
  std::atomic<std::uint64_t> app_output_lines_dropped;
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// The shared page, unmapped exactly once.
class ReaperCounterPage {
 public:
  // Broker: a fresh zeroed page in a memfd; fd() is what each zygote's
  // reaper gets.
  static absl::StatusOr<ReaperCounterPage> Create();
  // Reaper: maps the page the broker passed as `fd` (and closes it).
  static absl::StatusOr<ReaperCounterPage> Map(UniqueFd fd);

  ReaperCounterPage() = default;
  ReaperCounterPage(ReaperCounterPage&& other) noexcept;
  ReaperCounterPage& operator=(ReaperCounterPage&& other) noexcept;
  ReaperCounterPage(const ReaperCounterPage&) = delete;
  ReaperCounterPage& operator=(const ReaperCounterPage&) = delete;
  ~ReaperCounterPage();

  int fd() const { return fd_.get(); }
  void CloseFd() { fd_.reset(); }
  // Null when there is no page.
  ReaperCounters* counters() const { return counters_; }
  std::uint64_t denied_syscalls() const {
    return counters_ ? counters_->denied_syscalls.load(std::memory_order_relaxed) : 0;
  }
  std::uint64_t app_output_lines_dropped() const {
    return counters_ ? counters_->app_output_lines_dropped.load(std::memory_order_relaxed) : 0;
  }

 private:
  UniqueFd fd_;
  ReaperCounters* counters_ = nullptr;
};

}  // namespace sluice::worker
