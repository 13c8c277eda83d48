// poll(2)'s timeout argument for a steady-clock deadline.
#pragma once

#include <algorithm>
#include <chrono>
#include <limits>

namespace sluice {

// Milliseconds until `deadline`, rounded up so that a wait never ends
// before it: -1 (no timeout) for time_point::max(), 0 once it has passed.
inline int PollTimeoutMs(std::chrono::steady_clock::time_point deadline) {
  if (deadline == std::chrono::steady_clock::time_point::max()) return -1;
  auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<decltype(ms)>(ms, std::numeric_limits<int>::max()));
}

}  // namespace sluice
