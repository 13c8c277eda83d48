// The limits every HTTP request to the broker is read with. One place, so
// that HttpConnection and the fuzz target (fuzz/http_request_fuzzer.cc)
// configure Beast's parser the same way.
#pragma once

#include <cstdint>

#include "broker/net.h"

namespace sluice::broker {

inline constexpr std::uint32_t kMaxRequestBodyBytes = 16 * 1024;
inline constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;

using RequestParser = http::request_parser<http::string_body>;

// Sets the broker's limits on a fresh parser, before it reads a byte. A
// request past them fails to parse (the connection is then dropped).
inline void LimitRequestParser(RequestParser& parser) {
  parser.body_limit(kMaxRequestBodyBytes);
  parser.header_limit(kMaxHeaderBytes);
}

}  // namespace sluice::broker
