// Deadlines for every wait in the tests: a test waits on a condition until a
// deadline, never for a fixed time.
#pragma once

#include <chrono>

namespace sluice::testing {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

inline Deadline After(Clock::duration d) { return Clock::now() + d; }

// Bounds for a step that should be quick (a rerun, a reply) and for starting
// a broker. Generous, so that slow sanitizer builds fail only on real hangs.
inline constexpr std::chrono::seconds kStepTimeout{15};
inline constexpr std::chrono::seconds kStartTimeout{30};

}  // namespace sluice::testing
