// The app bench/chart_paint_bench.mjs measures, one chart at a time (a
// radio picks it): a 10M-point line (one series) and a 4 x 1M-point one,
// made once per server through st::cache_data; 100k points with every one
// shipped to the page (st::vega_lite_chart: what Streamlit does for every
// chart), the baseline; and a live chart that add_rows feeds 100 points
// every 10 ms for "Seconds", each point's x the wall-clock millisecond it
// was appended at (so the page can tell its lag).
#include <chrono>
#include <cmath>
#include <sluice/st.hpp>
#include <string>
#include <thread>

namespace {

st::DataFrame Series(std::int64_t rows, int series) {
  st::DataFrame frame;
  for (int s = 0; s < series; ++s) {
    st::Column<double> y;
    y.reserve(static_cast<std::size_t>(rows));
    for (std::int64_t i = 0; i < rows; ++i) {
      y.push_back(std::sin(static_cast<double>(i) / 1e4 + s) +
                  0.1 * std::sin(static_cast<double>(i)));
    }
    frame.add("s" + std::to_string(s), std::move(y));
  }
  return frame;
}
const auto cached_series = st::cache_data(Series);

double NowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void app() {
  st::title("Chart bench");
  const std::string chart = st::radio(
      "Chart", {"none", "10M points", "4 x 1M points", "100k points, every one shipped", "stream"});
  if (chart == "10M points") {
    st::line_chart(cached_series(10'000'000, 1), {.key = "big"});
  } else if (chart == "4 x 1M points") {
    st::line_chart(cached_series(1'000'000, 4), {.key = "four"});
  } else if (chart == "100k points, every one shipped") {
    st::vega_lite_chart(
        R"({"mark": "line", "encoding": {"x": {"field": "i", "type": "quantitative"},)"
        R"( "y": {"field": "s0", "type": "quantitative"}}})",
        [] {
          st::DataFrame frame = cached_series(100'000, 1);
          st::Column<std::int64_t> index;
          for (std::int64_t i = 0; i < 100'000; ++i) index.push_back(i);
          frame.add("i", std::move(index));
          return frame;
        }());
  } else if (chart == "stream") {
    const int seconds = st::number_input("Seconds", 20, {.min_value = 1, .max_value = 600});
    st::DataFrame first;
    first.add("t", st::Column<double>({NowMs()})).add("y", st::Column<double>({0.0}));
    st::Chart live = st::line_chart(first, {.x = "t", .key = "live"});
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::int64_t n = 0;
    while (std::chrono::steady_clock::now() < end) {
      st::Column<double> t, y;
      for (int i = 0; i < 100; ++i, ++n) {
        t.push_back(NowMs());
        y.push_back(std::sin(static_cast<double>(n) / 500));
      }
      st::DataFrame rows;
      rows.add("t", std::move(t)).add("y", std::move(y));
      live.add_rows(rows);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  st::text("end of app");
}

}  // namespace

SLUICE_APP(app)
