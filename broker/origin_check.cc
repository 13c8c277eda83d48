#include "broker/origin_check.h"

#include <algorithm>
#include <cctype>

#include "util/strings.h"

namespace sluice::broker {

namespace {

struct HostPort {
  std::string host;  // lower case; brackets kept for IPv6
  int port = -1;     // -1: none given
};

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string Lowered(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), Lower);
  return out;
}

// A host name or IPv4 address: the characters of a URL's reg-name, nothing
// that would end the authority or hide another host (@, /, \, spaces).
bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '%';
}

bool IsIpv6Char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

// "1".."65535", digits only.
std::optional<int> PortOf(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

// "host", "host:port", "[v6]" or "[v6]:port" (a Host header, or an
// origin's authority).
std::optional<HostPort> ParseHostPort(std::string_view text) {
  HostPort out;
  std::string_view host;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos || close < 2) return std::nullopt;
    host = text.substr(0, close + 1);
    if (!std::all_of(host.begin() + 1, host.end() - 1, IsIpv6Char)) return std::nullopt;
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
  } else {
    std::size_t colon = text.find(':');
    host = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
    if (host.empty() || !std::all_of(host.begin(), host.end(), IsNameChar)) return std::nullopt;
  }
  if (!rest.empty()) {
    std::optional<int> port = PortOf(rest.substr(1));
    if (!port) return std::nullopt;
    out.port = *port;
  }
  out.host = Lowered(host);
  return out;
}

int DefaultPort(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return 80;
  if (scheme == "https" || scheme == "wss") return 443;
  return -1;
}

}  // namespace

std::optional<WebOrigin> ParseWebOrigin(std::string_view text) {
  std::size_t separator = text.find("://");
  if (separator == std::string_view::npos || separator == 0) return std::nullopt;
  std::string_view scheme = text.substr(0, separator);
  if (!std::isalpha(static_cast<unsigned char>(scheme.front())) ||
      !std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      })) {
    return std::nullopt;
  }
  std::optional<HostPort> authority = ParseHostPort(text.substr(separator + 3));
  if (!authority) return std::nullopt;
  WebOrigin origin;
  origin.scheme = Lowered(scheme);
  origin.host = std::move(authority->host);
  origin.port = authority->port >= 0 ? authority->port : DefaultPort(origin.scheme);
  return origin;
}

OriginVerdict CheckOrigin(std::optional<std::string_view> origin, std::string_view host,
                          absl::Span<const std::string> allowed) {
  if (!origin) return OriginVerdict::kNoOrigin;
  if (AllowsAnyOrigin(allowed)) return OriginVerdict::kAllowed;
  std::optional<WebOrigin> parsed = ParseWebOrigin(*origin);
  if (!parsed) return OriginVerdict::kRefused;
  if (std::optional<HostPort> request = ParseHostPort(host)) {
    int request_port = request->port >= 0 ? request->port : DefaultPort(parsed->scheme);
    if (request->host == parsed->host && request_port == parsed->port) {
      return OriginVerdict::kSameOrigin;
    }
  }
  for (const std::string& entry : allowed) {
    if (ParseWebOrigin(entry) == parsed) return OriginVerdict::kAllowed;
  }
  return OriginVerdict::kRefused;
}

absl::Status ValidateAllowedOrigin(std::string_view entry) {
  if (entry == "*" || ParseWebOrigin(entry)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      StrCat("expected an origin like https://example.com or http://10.0.0.5:8080 (a scheme and "
             "a host, with a port if it is not the scheme's default, no path), or * for any, got '",
             entry, "'"));
}

bool AllowsAnyOrigin(absl::Span<const std::string> allowed) {
  return std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
}

}  // namespace sluice::broker
