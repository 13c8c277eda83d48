// A cached value's bytes, both ways, as st::cache_data writes and reads them
// (sluice/cache_value.hpp): for the tests of value encodings.
#pragma once

#include <cstddef>
#include <optional>
#include <sluice/cache_value.hpp>
#include <span>
#include <vector>

namespace sluice::testing {

template <class T>
std::vector<std::byte> EncodeValue(const T& value) {
  st::ValueWriter measure;
  st::detail::Encode(measure, value);
  std::vector<std::byte> bytes(measure.size());
  st::ValueWriter writer(bytes);
  st::detail::Encode(writer, value);
  return bytes;
}

// The value `bytes` hold, or nullopt where a hit would miss.
template <class T>
std::optional<T> DecodeValue(std::span<const std::byte> bytes) {
  T value{};
  st::ValueReader reader(bytes);
  if (!st::detail::Decode(reader, value) || !reader.at_end()) return std::nullopt;
  return value;
}

}  // namespace sluice::testing
