// Which rows of a chart's series the page gets for a view: every row in
// the visible x range when they are few enough to draw one by one, else
// the M4 reduction (data/m4.h), which draws the same picture. Pure
// computation over spans; the worker's st::line_chart and friends, and
// their zoom queries, use it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace sluice::data {

// Series that share x. `x` is ascending with no NaN, or empty for the row
// number (x = row). Every y is as long as the series (NaN: no value).
struct ChartSeries {
  std::span<const double> x;
  std::vector<std::span<const double>> ys;
  std::uint64_t rows = 0;

  double XAt(std::uint64_t row) const { return x.empty() ? static_cast<double>(row) : x[row]; }
};

// At most this many points per pixel column are sent unreduced; above it
// M4 keeps at most 5 per column anyway.
inline constexpr std::uint64_t kFullPointsPerPixel = 4;

struct ChartRows {
  std::vector<std::uint64_t> rows;  // ascending
  bool full = false;                // every row in the range is among them
};

// The rows to draw between x_min and x_max (inclusive) on a plot `pixels`
// wide, with the nearest row outside on each side (so a line runs on to
// the plot's edges). REQUIRES: pixels > 0; x_min <= x_max, both finite.
ChartRows RowsToDraw(const ChartSeries& series, double x_min, double x_max, std::uint32_t pixels);

}  // namespace sluice::data
