// st::vega_lite_chart for the integration test (tests/broker/vega_lite_test.cc)
// and the browser test (suite "vega"). The radio "Case" picks what the run
// shows; the first case shows no chart, so a page can be checked for not
// fetching Vega's chunk before it needs it.
#include <unistd.h>

#include <cstdint>
#include <sluice/st.hpp>
#include <string>
#include <vector>

namespace {

constexpr std::int64_t kRows = 1000;
// 2024-01-01T00:00:00Z, in nanoseconds.
constexpr std::int64_t kEpochNs = 1'704'067'200'000'000'000;
constexpr std::int64_t kHourNs = 3'600'000'000'000;

// Row i: x = i, y = (i * 37) % 101 (a saw the eye can check), t = an hour
// apart from 2024-01-01, group "a"/"b" alternating, null every 100th.
st::DataFrame Frame(std::int64_t rows) {
  st::Column<std::int64_t> xs;
  st::Column<double> ys;
  st::Column<std::int64_t> times;
  std::vector<std::string> groups;
  std::vector<bool> nulls;
  for (std::int64_t i = 0; i < rows; ++i) {
    xs.push_back(i);
    ys.push_back(static_cast<double>(i * 37 % 101));
    times.push_back(kEpochNs + i * kHourNs);
    groups.push_back(i % 2 == 0 ? "a" : "b");
    nulls.push_back(i % 100 == 99);
  }
  st::DataFrame frame;
  frame.add("x", std::move(xs));
  frame.add("y", std::move(ys));
  frame.add_timestamps("t", std::move(times));
  frame.add("group", groups, nulls);
  return frame;
}

constexpr char kLineSpec[] = R"({
  "title": "Saw wave",
  "mark": {"type": "line", "point": false},
  "encoding": {
    "x": {"field": "t", "type": "temporal", "title": "time"},
    "y": {"field": "y", "type": "quantitative"},
    "color": {"field": "group", "type": "nominal"}
  }
})";

// A named dataset, used by both layers; aggregated in the browser.
constexpr char kNamedSpec[] = R"({
  "description": "Mean y by group",
  "data": {"name": "points"},
  "layer": [
    {"mark": "bar", "encoding": {
      "x": {"field": "group", "type": "nominal"},
      "y": {"aggregate": "mean", "field": "y", "type": "quantitative"}}},
    {"mark": {"type": "text", "dy": -8}, "encoding": {
      "x": {"field": "group", "type": "nominal"},
      "y": {"aggregate": "mean", "field": "y", "type": "quantitative"},
      "text": {"aggregate": "count", "type": "quantitative"}}}
  ]
})";

constexpr char kInlineSpec[] = R"({
  "title": "Inline bars",
  "data": {"values": [{"k": "p", "v": 3}, {"k": "q", "v": 5}, {"k": "r", "v": 2}]},
  "mark": "bar",
  "encoding": {"x": {"field": "k", "type": "nominal"}, "y": {"field": "v", "type": "quantitative"}}
})";

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::title("Vega app");
  std::string shown = st::radio(
      "Case", {"none", "charts", "invalid json", "array", "too many rows", "data and frame"});
  if (shown == "charts") {
    st::DataFrame frame = Frame(kRows);
    st::vega_lite_chart(kLineSpec, frame, {.height = 240});
    st::vega_lite_chart(kNamedSpec, frame);
    st::vega_lite_chart(kInlineSpec);
  } else if (shown == "invalid json") {
    st::vega_lite_chart("{\n  \"mark\": \"bar\",\n  \"encoding\": }", Frame(3));
  } else if (shown == "array") {
    st::vega_lite_chart("[1, 2, 3]");
  } else if (shown == "too many rows") {
    st::vega_lite_chart(kLineSpec, Frame(100'001));
  } else if (shown == "data and frame") {
    st::vega_lite_chart(kInlineSpec, Frame(3));
  }
  st::text("end of app");
}

}  // namespace

SLUICE_APP(app)
