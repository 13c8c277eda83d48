// Free loopback ports for programs that must be told their port up front
// (HAProxy's listen address, a broker started without a readable stderr).
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"

namespace sluice::testing {

// A loopback TCP port nothing listens on right now: bound once and
// released, so another process could still take it before the caller's
// program binds it (unlikely within a test, and then its start fails).
absl::StatusOr<uint16_t> FreeLoopbackPort();

}  // namespace sluice::testing
