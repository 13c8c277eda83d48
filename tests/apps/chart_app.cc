// Charts for the chart tests (tests/broker/chart_test.cc) and the browser
// suite "charts": a 10,000,000-point line made once per server through
// st::cache_data (a sine with one spike), a small two-series chart over
// timestamps, area, bar and scatter charts, a chart in an st::empty slot,
// and a chart that add_rows streams onto when a button is pressed.
#include <chrono>
#include <cmath>
#include <sluice/st.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::int64_t kBigRows = 10'000'000;
constexpr std::int64_t kSpikeRow = 7'654'321;

// Row i: sin(i / 100,000), and 50 at kSpikeRow (M4 must keep it).
st::DataFrame MakeBig() {
  st::Column<double> y;
  y.reserve(kBigRows);
  for (std::int64_t i = 0; i < kBigRows; ++i) {
    y.push_back(i == kSpikeRow ? 50.0 : std::sin(static_cast<double>(i) / 100'000));
  }
  st::DataFrame frame;
  frame.add("signal", std::move(y));
  return frame;
}
const auto cached_big = st::cache_data(MakeBig);

// 50 days from 2026-01-01, one a row; price and volume.
st::DataFrame Daily() {
  constexpr std::int64_t kDayNs = 86'400'000'000'000;
  constexpr std::int64_t kStartNs = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
  st::Column<std::int64_t> days;
  st::Column<double> price;
  st::Column<std::int64_t> volume;
  for (std::int64_t d = 0; d < 50; ++d) {
    days.push_back(kStartNs + d * kDayNs);
    price.push_back(100 + static_cast<double>(d) * 0.5);
    volume.push_back(1000 + d * 10);
  }
  st::DataFrame frame;
  frame.add_timestamps("day", std::move(days));
  frame.add("price", std::move(price));
  frame.add("volume", std::move(volume));
  return frame;
}

// n rows of x = start.., y = x * x.
st::DataFrame Squares(std::int64_t start, std::int64_t n) {
  st::Column<std::int64_t> x;
  st::Column<double> y;
  for (std::int64_t i = start; i < start + n; ++i) {
    x.push_back(i);
    y.push_back(static_cast<double>(i * i));
  }
  st::DataFrame frame;
  frame.add("x", std::move(x));
  frame.add("y", std::move(y));
  return frame;
}

void app() {
  st::title("Chart app");
  if (st::checkbox("Show the big chart", true)) {
    st::line_chart(cached_big(), {.height = 240, .key = "big"});
  }
  st::line_chart(Daily(), {.x = "day", .y = {"price", "volume"}, .key = "daily"});
  st::area_chart(Squares(0, 20), {.x = "x", .key = "area"});
  st::bar_chart(Squares(1, 8), {.x = "x", .key = "bars"});
  st::scatter_chart(Squares(-10, 21), {.x = "x", .key = "scatter"});
  auto slot = st::empty();
  slot.text("the slot waits");
  slot.line_chart(Squares(0, 5), {.x = "x", .key = "slotted"});

  const int per_second =
      st::number_input("Appends per second", 0, {.min_value = 0, .max_value = 1000});
  const int appends = st::number_input("Rows to append", 0, {.min_value = 0, .max_value = 100'000});
  st::Chart live = st::line_chart(Squares(0, 10), {.x = "x", .key = "live"});
  for (int i = 0; i < appends; ++i) {
    live.add_rows(Squares(10 + i, 1));
    if (per_second > 0)
      std::this_thread::sleep_for(std::chrono::microseconds(1'000'000 / per_second));
  }
  st::text("live chart rows: " + std::to_string(live.num_rows()));
  st::text("end of app");
}

}  // namespace

SLUICE_APP(app)
