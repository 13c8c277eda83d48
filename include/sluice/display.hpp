// Values shown at a glance: a metric (a number with its change) and a JSON
// document as a tree. Like text elements, both show their text as text
// (nothing becomes HTML), and both may be shown inside a cached function
// (they are replayed on a hit).
#pragma once

#include <concepts>
#include <sluice/widgets.hpp>  // st::Number: the numbers an st:: call takes
#include <string>
#include <string_view>

namespace st {

namespace detail {
// The shortest text that reads back as `value` ("3", "-0.25", "1e+21"):
// integers as written, doubles in their shortest round-trip form; a zero is
// "0" (never "-0", which would read as a fall).
std::string FormatMetricNumber(long long value);
std::string FormatMetricNumber(unsigned long long value);
std::string FormatMetricNumber(double value);
}  // namespace detail

// A metric's value or delta: a text as the app wrote it ("€ 1.2 M", "-3 %")
// or a number, formatted by detail::FormatMetricNumber. Implicit, so that
// `{.delta = -12}` and `{.delta = "-12 %"}` both read naturally.
class MetricText {
 public:
  MetricText() = default;
  MetricText(const char* text) : text_(text ? text : "") {}  // NOLINT(google-explicit-constructor)
  MetricText(std::string_view text) : text_(text) {}         // NOLINT(google-explicit-constructor)
  MetricText(const std::string& text) : text_(text) {}       // NOLINT(google-explicit-constructor)
  template <Number T>
  MetricText(T number)  // NOLINT(google-explicit-constructor)
      : text_(detail::FormatMetricNumber(Widen(number))) {}

  const std::string& text() const { return text_; }

 private:
  template <Number T>
  static auto Widen(T number) {
    if constexpr (std::floating_point<T>) {
      return static_cast<double>(number);
    } else if constexpr (std::signed_integral<T>) {
      return static_cast<long long>(number);
    } else {
      return static_cast<unsigned long long>(number);
    }
  }

  std::string text_;
};

// How a metric's delta is coloured. Whatever the colour, the delta also shows
// an arrow (up or down) and is read out as "up 3 %" / "down 3 %".
enum class DeltaColor {
  kNormal,   // up green, down red: more is better (revenue)
  kInverse,  // up red, down green: less is better (costs, latency)
  kOff,      // gray either way: the change is neither good nor bad
};

struct MetricOptions {
  // The change since a previous value; empty: none shown. A text starting
  // with '-' (or a negative number) is a fall, anything else a rise.
  MetricText delta;
  DeltaColor delta_color = DeltaColor::kNormal;
};

// A label (small, muted), a value (large) and optionally its delta, like
// Streamlit's st.metric:
//   st::metric("Rows kept", kept, {.delta = kept - before});
//   st::metric("Latency", "120 ms", {.delta = "-8 ms", .delta_color = st::DeltaColor::kInverse});
void metric(std::string_view label, const MetricText& value, const MetricOptions& options = {});

struct JsonOptions {
  // true: every object and array shown open; false: only the top level's
  // members are shown, each nested object or array closed (the viewer opens
  // them).
  bool expanded = true;
};

// `text`, a JSON document (RFC 8259, UTF-8), shown as a tree the viewer can
// fold. The text is checked here, in the worker, without building it in
// memory: invalid JSON (a syntax error, ill-formed UTF-8, trailing bytes)
// is not sent; an error element is shown in its place, saying what is wrong
// and where (line, column and byte offset), and the app goes on. (JSON that
// is not what the app expected is data, not a mistake in the call, so it
// does not throw.) Numbers are shown as written in `text`, not rounded to a
// double.
void json(std::string_view text, const JsonOptions& options = {});

// A JSON value the app already holds (an nlohmann::json, or any type whose
// dump() returns its JSON text), shown as above.
template <class Value>
requires requires(const Value& value) {
  { value.dump() } -> std::convertible_to<std::string>;
}
void json(const Value& value, const JsonOptions& options = {}) {
  const std::string text = value.dump();
  json(std::string_view(text), options);
}

}  // namespace st
