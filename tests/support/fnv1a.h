// FNV-1a (64-bit): the checksum test apps show in place of bytes they must
// not echo (an uploaded file, a secret), computed the same way by the tests
// that check them. Header-only, so the apps (built against sluice::st only)
// include it too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

namespace sluice::testing {

inline std::uint64_t Fnv1a(std::span<const std::byte> bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (std::byte b : bytes) {
    hash ^= static_cast<std::uint8_t>(b);
    hash *= 1099511628211ull;
  }
  return hash;
}

inline std::uint64_t Fnv1a(std::string_view text) {
  return Fnv1a(std::as_bytes(std::span(text.data(), text.size())));
}

// As 16 hex digits.
inline std::string Fnv1aHex(std::span<const std::byte> bytes) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(Fnv1a(bytes)));
  return text;
}

inline std::string Fnv1aHex(std::string_view text) {
  return Fnv1aHex(std::as_bytes(std::span(text.data(), text.size())));
}

}  // namespace sluice::testing
