// App authors need not read this file: sluice internals behind <sluice/widgets.hpp>.
// Templates there need it in view of the compiler; it may change in any release.
#pragma once

#include <algorithm>
#include <concepts>
#include <functional>
#include <limits>
#include <string>
#include <string_view>

namespace st {
namespace detail {
enum class NumberKind { kSlider, kNumberInput };
struct NumberSpec {
  NumberKind kind;
  double min_value;
  double max_value;
  double value;
  double step;
  bool integer;
  bool bounded;
};
double number_widget(std::string_view label, const NumberSpec& spec, const std::string& key,
                     const std::function<void()>& on_change);

// The widest range a number widget of type T can return exactly: T's own
// range, and for integers no more than +-2^53 (the page sends doubles).
template <class T>
constexpr double LowestFor() {
  if constexpr (std::integral<T>) {
    return std::max(static_cast<double>(std::numeric_limits<T>::lowest()), -9007199254740992.0);
  } else {
    return std::numeric_limits<T>::lowest();
  }
}
template <class T>
constexpr double HighestFor() {
  if constexpr (std::integral<T>) {
    return std::min(static_cast<double>(std::numeric_limits<T>::max()), 9007199254740992.0);
  } else {
    return std::numeric_limits<T>::max();
  }
}
}  // namespace detail
}  // namespace st
