// A minimal HTTP/1.1 client over loopback, for /healthz, /metrics and the
// admin endpoints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tests/support/deadline.h"

namespace sluice::testing {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent

  // The first header named `name` (case-insensitive); empty if none.
  std::string Header(std::string_view name) const;
};

using HttpHeader = std::pair<std::string_view, std::string_view>;  // name, value

// Sends `method` (e.g. "POST") http://127.0.0.1:port/target with `headers`
// and `body` (Host, Connection: close and Content-Length are added here) and
// reads the whole reply. Fails on connection errors, an unparsable reply, or
// when the deadline passes first.
absl::StatusOr<HttpResponse> HttpRequest(uint16_t port, std::string_view method,
                                         std::string_view target,
                                         absl::Span<const HttpHeader> headers,
                                         std::string_view body, Deadline deadline);

// GET http://127.0.0.1:port/target, as HttpRequest.
absl::StatusOr<HttpResponse> HttpGet(uint16_t port, std::string_view target, Deadline deadline);

// The largest output_buffered_bytes of any session in GET /admin/sessions
// (what the broker holds of one session's worker output), asked with the
// admin `token`.
absl::StatusOr<long> MostOutputBufferedBytes(uint16_t port, std::string_view token);

}  // namespace sluice::testing
