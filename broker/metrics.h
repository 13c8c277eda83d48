// GET /metrics: the broker's and the cache's figures in the Prometheus text
// exposition format (version 0.0.4).
#pragma once

#include <cstdint>
#include <string>

#include "broker/service_metrics.h"
#include "shm_cache/reader.h"

namespace sluice::broker {

inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

struct MetricsSnapshot {
  int sessions_live = 0;
  int warm_workers = 0;
  bool cache_up = false;                       // a keeper is running
  std::uint64_t cache_size_bytes = 0;          // 0: the cache is off
  shm_cache::ArenaCounters cache = {};         // zeroes when the cache is off
  std::uint64_t sandbox_denied_syscalls = 0;   // as the reapers counted them
  std::uint64_t app_output_lines_dropped = 0;  // likewise
  int queue_length = 0;                        // tabs waiting for a worker
  const ServiceMetrics* service = nullptr;     // counted as things happen; null: left out
  std::uint64_t log_lines_dropped = 0;         // the broker's own, util/log.h
  bool zygote_up = false;                      // a current zygote forks workers
  std::uint64_t zygote_generation = 0;         // 1, then one more per reload or restart
  std::uint64_t zygote_deaths = 0;             // current zygotes that died (then restarted)
  std::uint64_t zygote_loads_ok = 0;           // new zygotes that became current
  std::uint64_t zygote_loads_failed = 0;
};

// Every series, always (zeroes when the cache is off), each with its
// # HELP and # TYPE lines.
std::string RenderMetrics(const MetricsSnapshot& snapshot);

}  // namespace sluice::broker
