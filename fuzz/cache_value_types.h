// Return types of cached functions that the cache_value target decodes and
// fuzz/make_seeds.cc encodes: what apps return (strings, vectors, optional
// pairs, plain structs with a bool and an enum, st::Column), nested.
#pragma once

#include <cstdint>
#include <optional>
#include <sluice/cache_value.hpp>
#include <sluice/column.hpp>
#include <string>
#include <utility>
#include <vector>

namespace sluice::fuzz {

enum class Shade : std::uint8_t { kLight, kDark };

struct Point {
  double x;
  double y;
  bool visible;
  Shade shade;
};

struct Table {
  std::vector<std::string> names;
  std::vector<Point> points;
  std::optional<std::pair<std::int64_t, std::string>> note;
  std::vector<bool> flags;
  st::Column<double> values;
};

}  // namespace sluice::fuzz
