// st::metric: a label, a large value and its change (Streamlit's st.metric).
#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <system_error>

#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "sluice/display.hpp"

namespace st {

using sluice::ipc::Element;
using sluice::ipc::Metric;
using sluice::ipc::NewText;
using sluice::ipc::ViewOf;

namespace detail {
namespace {

template <class T>
std::string ToChars(T value) {
  // Room for the longest shortest-round-trip double ("-2.2250738585072014e-308").
  std::array<char, 64> buffer;
  auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (error != std::errc()) return "?";
  return std::string(buffer.data(), end);
}

}  // namespace

std::string FormatMetricNumber(long long value) { return ToChars(value); }
std::string FormatMetricNumber(unsigned long long value) { return ToChars(value); }
std::string FormatMetricNumber(double value) {
  // -0.0 would read as a fall on the page (a leading '-').
  if (value == 0) return "0";
  return ToChars(value);
}

}  // namespace detail

namespace {

Metric::DeltaColor ToSchema(DeltaColor color) {
  switch (color) {
    case DeltaColor::kInverse:
      return Metric::DeltaColor::INVERSE;
    case DeltaColor::kOff:
      return Metric::DeltaColor::OFF;
    case DeltaColor::kNormal:
      break;
  }
  return Metric::DeltaColor::NORMAL;
}

}  // namespace

void metric(std::string_view label, const MetricText& value, const MetricOptions& options) {
  sluice::runtime::AppRunner::Current().Emit([&](Element::Builder e) {
    Metric::Builder m = e.initMetric();
    m.adoptLabel(NewText(m, label));
    m.adoptValue(NewText(m, value.text()));
    m.adoptDelta(NewText(m, options.delta.text()));
    m.setDeltaColor(ToSchema(options.delta_color));
  });
}

namespace {

// What a viewer reads: "label value" and, with a delta, "up 3 %" or
// "down 3 %" (the page's accessible text for it).
std::optional<std::string> MetricReadout(Element::Reader e) {
  Metric::Reader m = e.getMetric();
  std::string text = std::string(ViewOf(m.getLabel())) + " " + std::string(ViewOf(m.getValue()));
  std::string_view delta = ViewOf(m.getDelta());
  if (!delta.empty()) {
    bool down = delta.front() == '-';
    if (down || delta.front() == '+') delta.remove_prefix(1);
    text += down ? " down " : " up ";
    text += delta;
  }
  return text;
}

// Plain content, so a cached function may show it: it is replayed on a hit.
const bool kMetricKind =
    sluice::runtime::RegisterElementKind({Element::METRIC, true, &MetricReadout});

}  // namespace

}  // namespace st
