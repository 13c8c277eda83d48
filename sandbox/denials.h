// Counting what the seccomp filter refused. A contained process (the zygote,
// each worker) turns every trapped call into EPERM in its SIGSYS handler and
// writes a small report for it to a pipe of its own, whose other end only
// the reaper holds (worker/output_reader.h). The reaper adds them up, at
// most a bounded number per process, in a page no zygote or worker maps
// (worker/reaper_counters.h). A hostile worker can write reports without
// making the calls, so it can inflate its own count up to that bound, but
// it cannot reach the total, nor anyone else's count.
#pragma once

#include <cstdint>

#include "absl/status/status.h"

namespace sluice::sandbox {

// One report: the number of the refused call, in the writer's byte order.
struct DenialReport {
  std::int32_t syscall;
};
static_assert(sizeof(DenialReport) == 4);

// Makes every call the filter traps (SECCOMP_RET_TRAP) return EPERM to its
// caller and write a DenialReport to `report_fd` (-1: nowhere; a report that
// does not fit into a full pipe is lost, the write end should be
// non-blocking). Install before loading the filter; installing again only
// changes the descriptor. Async-signal-safe handler; process-wide.
absl::Status InstallDenialHandler(int report_fd);

// Only changes where the installed handler writes (-1: nowhere).
// Async-signal-safe: for a child right after fork, whose inherited
// descriptor number is about to mean something else.
void ReportDenialsTo(int report_fd);

}  // namespace sluice::sandbox
