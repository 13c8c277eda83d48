// The app of bench/frame_bench and bench/grid_bench.mjs: a 10M-row frame of
// four double columns (320 MB), made once by st::cache_data and shared by
// every session (a hit maps its columns), shown in st::dataframe; and a
// slider whose change is a cheap rerun.
#include <unistd.h>

#include <cstdint>
#include <sluice/st.hpp>
#include <string>

namespace {

constexpr std::int64_t kRows = 10'000'000;
constexpr std::int64_t kPrime = 10'000'019;  // > kRows: i * 7919 % kPrime is a shuffle

// Row i: a = i, b = a shuffle of the rows (sorting by it moves every row),
// c = i / 4, d = (i % 1000) - 500.5.
st::DataFrame MakeFrame() {
  st::Column<double> a, b, c, d;
  for (st::Column<double>* column : {&a, &b, &c, &d}) column->reserve(kRows);
  for (std::int64_t i = 0; i < kRows; ++i) {
    a.push_back(static_cast<double>(i));
    b.push_back(static_cast<double>(i * 7919 % kPrime) / 8);
    c.push_back(static_cast<double>(i) / 4);
    d.push_back(static_cast<double>(i % 1000) - 500.5);
  }
  st::DataFrame frame;
  frame.add("a", std::move(a)).add("b", std::move(b)).add("c", std::move(c)).add("d", std::move(d));
  return frame;
}

const auto cached_frame = st::cache_data(MakeFrame);

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::DataFrame frame = cached_frame();
  st::dataframe(frame, {.height = 400});
  int n = st::slider("n", 0, 1000, 0);
  st::text("n = " + std::to_string(n) + (frame.mapped() ? ", mapped" : ", own copy"));
}

}  // namespace

SLUICE_APP(app)
