// The broker's service figures for /metrics that are counted as things
// happen (sessions started and ended, crashes, reruns, bytes), as opposed to
// the live state MetricsSnapshot reads at scrape time. One instance, owned
// by the Server, touched only on the io thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::broker {

// A Prometheus histogram: cumulative buckets with upper bounds in seconds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(std::chrono::steady_clock::duration elapsed);
  // # HELP / # TYPE, then name_bucket{le="..."} (cumulative, ending with
  // +Inf), name_sum and name_count.
  void AppendTo(std::string* out, std::string_view name, std::string_view help) const;
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; last is +Inf
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

struct ServiceMetrics {
  ServiceMetrics();

  // The label value for a session end reason: the reason itself, except
  // "worker_exited_N", which is counted as "worker_exited" (one series per
  // way of ending, not per exit code).
  static std::string_view ReasonLabel(std::string_view reason);
  void CountEnded(std::string_view reason) { ++ended_by_reason[std::string(ReasonLabel(reason))]; }
  // `signal` as "SIGSEGV" and so on.
  void CountCrash(int signal);
  void CountRejected(std::string_view why) { ++rejected_by_reason[std::string(why)]; }

  // Every series, each with # HELP and # TYPE; labelled families with no
  // samples yet still print those two lines.
  void AppendTo(std::string* out) const;

  std::uint64_t sessions_started = 0;
  std::map<std::string, std::uint64_t> ended_by_reason;  // ordered: stable output
  std::map<std::string, std::uint64_t> crashes_by_signal;
  std::map<std::string, std::uint64_t> rejected_by_reason;  // busy, queue_full, ...
  std::uint64_t page_bytes_in = 0;             // WebSocket message bytes read from pages
  std::uint64_t page_bytes_out = 0;            // WebSocket message bytes written to pages
  std::uint64_t upload_bytes = 0;              // file bytes passed on to workers
  std::uint64_t websocket_origin_refused = 0;  // upgrades refused for their Origin (403)
  std::uint64_t page_write_stalls = 0;         // pages dropped by --write-timeout
  Histogram rerun_seconds;          // widget change forwarded -> the run's finished frame
  Histogram session_start_seconds;  // admitted (hello, or out of the queue) -> first frame
};

}  // namespace sluice::broker
