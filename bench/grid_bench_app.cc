// The app bench/grid_bench.mjs measures: one frame of four double columns
// (10 million rows; GRID_BENCH_ROWS in the server's environment for a quick
// look at fewer), built once per server through st::cache_data so that every
// session shows the same mapped columns, in a st::dataframe. A "Rerun"
// button and a run counter let other sessions time their reruns while one
// session sorts. bench/frame_bench drives it over WebSockets too: it finds
// each session's worker by the "pid: N" line and reports whether a hit
// mapped the frame.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sluice/st.hpp>
#include <string>

namespace {

// Row i: a = i, b = (i * 7919) mod 1000003 (a shuffle, so sorting by it
// moves every row), c = sin(i), d = rows - i.
st::DataFrame MakeFrame(std::int64_t rows) {
  st::Column<double> a, b, c, d;
  a.reserve(static_cast<std::size_t>(rows));
  b.reserve(static_cast<std::size_t>(rows));
  c.reserve(static_cast<std::size_t>(rows));
  d.reserve(static_cast<std::size_t>(rows));
  for (std::int64_t i = 0; i < rows; ++i) {
    a.push_back(static_cast<double>(i));
    b.push_back(static_cast<double>(i * 7919 % 1000003));
    c.push_back(std::sin(static_cast<double>(i)));
    d.push_back(static_cast<double>(rows - i));
  }
  st::DataFrame frame;
  frame.add("a", std::move(a)).add("b", std::move(b)).add("c", std::move(c)).add("d", std::move(d));
  return frame;
}

const auto cached_frame = st::cache_data(MakeFrame);

std::int64_t Rows() {
  const char* rows = std::getenv("GRID_BENCH_ROWS");
  return rows != nullptr && std::atoll(rows) > 0 ? std::atoll(rows) : 10'000'000;
}

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::DataFrame frame = cached_frame(Rows());
  st::text(frame.mapped() ? "frame: mapped" : "frame: own copy");
  st::dataframe(frame);
  st::button("Rerun");
  int runs = ++st::session_state().get<int>("runs", 0);
  st::text("runs: " + std::to_string(runs));
}

}  // namespace

SLUICE_APP(app)
