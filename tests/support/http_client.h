// A minimal HTTP/1.1 GET over loopback, for /healthz and friends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tests/support/deadline.h"

namespace sluice::testing {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// GET http://127.0.0.1:port/target. Fails on connection errors, an
// unparsable reply, or when the deadline passes first.
absl::StatusOr<HttpResponse> HttpGet(uint16_t port, std::string_view target, Deadline deadline);

}  // namespace sluice::testing
