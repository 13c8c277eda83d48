// Debian 12's Abseil is built with its own absl::string_view, which does not
// convert to or from std::string_view. sluice's interfaces use
// std::string_view; these helpers cross the line where Abseil is called.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sluice {

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

namespace strings_internal {
template <class T>
decltype(auto) ForAbsl(const T& value) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return ToAbsl(value);
  } else {
    return (value);
  }
}
}  // namespace strings_internal

// absl::StrCat that also takes std::string_view.
template <class... Args>
std::string StrCat(const Args&... args) {
  return absl::StrCat(strings_internal::ForAbsl(args)...);
}

// "1.5 MB", "200 MB", "12 KB", "7 bytes": a size as a viewer reads it
// (powers of 1024, as sluice's limits are given).
inline std::string DescribeBytes(std::uint64_t bytes) {
  if (bytes < 1024) return StrCat(bytes, bytes == 1 ? " byte" : " bytes");
  const char* units[] = {"KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  bool whole = value == static_cast<double>(static_cast<std::uint64_t>(value));
  char text[32];
  std::snprintf(text, sizeof text, whole ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

}  // namespace sluice
