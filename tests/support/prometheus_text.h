// A strict reader of the Prometheus text exposition format (0.0.4) as
// /metrics serves it: # HELP and # TYPE lines, then samples, each after the
// # TYPE of its family.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "tests/support/deadline.h"

namespace sluice::testing {

struct Metrics {
  std::map<std::string, std::string> types;  // family -> counter, gauge, histogram
  std::map<std::string, std::string> help;   // family -> help text
  // Series as written, labels included: "sluice_sessions_live",
  // "sluice_sessions_ended_total{reason=\"closed\"}",
  // "sluice_rerun_duration_seconds_bucket{le=\"+Inf\"}".
  std::map<std::string, double> values;

  // The value of `series`, 0 when it has no sample (a labelled counter
  // that has not counted yet).
  double Value(const std::string& series) const;
};

// Fails, quoting the line, on anything that is not the format.
absl::StatusOr<Metrics> ParseMetrics(const std::string& text);

// GET /metrics from the broker on `port`, parsed; fails unless it answers 200.
absl::StatusOr<Metrics> GetMetrics(uint16_t port, Deadline deadline = After(kStepTimeout));

}  // namespace sluice::testing
