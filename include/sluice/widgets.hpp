// Widgets: each call shows a control and returns its current value.
//
// Identity: a widget with a `key` is that key; one without is identified by
// its kind, label and how many widgets of that kind and label came before it
// in this run. Two keyed widgets with the same key in one run are an error.
//
// A keyed widget's value lives in st::session_state() under its key, with
// these types: bool (button, checkbox), std::int64_t (integer slider and
// number_input), double (floating-point ones), std::string (text_input,
// selectbox, radio: the selected option). Setting that entry before the
// widget runs sets the widget.
//
// on_change / on_click run at the start of the run that follows the
// viewer's change, before the app function.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <sluice/internal/widgets.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace st {

using Callback = std::function<void()>;

struct ButtonOptions {
  std::string key;
  Callback on_click;
};

struct WidgetOptions {
  std::string key;
  Callback on_change;
};

struct SliderOptions {
  double step = 0;  // 0: 1 for integers, 0.01 for floating point
  std::string key;
  Callback on_change;
};

struct NumberInputOptions {
  std::optional<double> min_value;
  std::optional<double> max_value;
  double step = 0;  // 0: 1 for integers, 0.01 for floating point
  std::string key;
  Callback on_change;
};

struct TextInputOptions {
  std::size_t max_chars = 0;  // 0: no limit
  std::string key;
  Callback on_change;
};

template <class T>
concept Number = (std::integral<T> && !std::same_as<T, bool>) || std::floating_point<T>;

// True only in the run that follows a click.
bool button(std::string_view label, const ButtonOptions& options = {});

bool checkbox(std::string_view label, bool value = false, const WidgetOptions& options = {});

// min_value <= value <= max_value, all of one type (int or double, say).
// Integers must fit in +-2^53. Throws std::invalid_argument otherwise.
template <Number T>
T slider(std::string_view label, T min_value, T max_value, T value,
         const SliderOptions& options = {}) {
  detail::NumberSpec spec{detail::NumberKind::kSlider,
                          static_cast<double>(min_value),
                          static_cast<double>(max_value),
                          static_cast<double>(value),
                          options.step,
                          std::integral<T>,
                          true};
  return static_cast<T>(detail::number_widget(label, spec, options.key, options.on_change));
}

// Without min_value / max_value the range is all that T can hold.
template <Number T>
T number_input(std::string_view label, T value = T{}, const NumberInputOptions& options = {}) {
  bool bounded = options.min_value.has_value() || options.max_value.has_value();
  detail::NumberSpec spec{detail::NumberKind::kNumberInput,
                          options.min_value.value_or(detail::LowestFor<T>()),
                          options.max_value.value_or(detail::HighestFor<T>()),
                          static_cast<double>(value),
                          options.step,
                          std::integral<T>,
                          bounded};
  return static_cast<T>(detail::number_widget(label, spec, options.key, options.on_change));
}

std::string text_input(std::string_view label, std::string_view value = "",
                       const TextInputOptions& options = {});

// Returns the selected option ("" when `options` is empty). `index` is the
// initial selection.
std::string selectbox(std::string_view label, const std::vector<std::string>& options,
                      int index = 0, const WidgetOptions& widget_options = {});
std::string radio(std::string_view label, const std::vector<std::string>& options, int index = 0,
                  const WidgetOptions& widget_options = {});

}  // namespace st
