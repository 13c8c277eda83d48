// Whether a WebSocket upgrade may open a session, judged by its Origin
// header: the defence against cross-site WebSocket hijacking (a page on
// another site that a viewer visits opening a session in their name).
// Browsers always send Origin with a WebSocket handshake and scripts cannot
// forge it; other clients (curl, the tests' client, monitoring) send none.
//
// Pure functions over header text: no sockets, no logging, safe from any
// thread, and meant to be fuzzed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace sluice::broker {

// A web origin normalised for comparison: scheme and host in lower case,
// the port explicit (the scheme's default when the text names none: 80 for
// http and ws, 443 for https and wss); -1 for a scheme without a default
// and no port given. An IPv6 host keeps its brackets ("[::1]").
struct WebOrigin {
  std::string scheme;
  std::string host;
  int port = -1;
  bool operator==(const WebOrigin&) const = default;
};

// Parses an Origin value: "scheme://host" or "scheme://host:port", nothing
// else (no path, user, query; an opaque origin, "null", is not one).
std::optional<WebOrigin> ParseWebOrigin(std::string_view text);

enum class OriginVerdict {
  kNoOrigin,    // no Origin header: not a browser; allowed
  kSameOrigin,  // Origin's host and port are the request's Host
  kAllowed,     // listed in --allowed-origins (or it holds "*")
  kRefused,     // anything else, a malformed Origin or Host included
};

// The verdict on an upgrade whose Origin header is `origin` (nullopt when
// the request has none; an empty header is malformed, not absent) and whose
// Host header is `host`. The same-origin test compares host and port only,
// not the scheme, so a proxy that terminates TLS and passes Host on does
// not need listing; a Host without a port matches the origin's default
// port (an "http://Example.com" origin matches Host "example.com" and
// "example.com:80", not "example.com:8080"). `allowed` holds entries that
// ValidateAllowedOrigin accepted.
OriginVerdict CheckOrigin(std::optional<std::string_view> origin, std::string_view host,
                          absl::Span<const std::string> allowed);

// Whether `entry` may be an --allowed-origins value: "*" (any origin) or an
// origin as ParseWebOrigin reads it. The error says what was expected.
absl::Status ValidateAllowedOrigin(std::string_view entry);

// Whether `allowed` lets every origin in ("*").
bool AllowsAnyOrigin(absl::Span<const std::string> allowed);

}  // namespace sluice::broker
