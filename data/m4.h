// The M4 reduction of a series for a chart (Jugel et al., "M4: A
// Visualization-Oriented Time Series Data Aggregation", VLDB 2014): of the
// points that fall in each pixel column, the first and last (by x) and the
// lowest and highest (by y). A line through only those points lights the
// same pixels as a line through all of them, so a chart of ten million
// points needs at most four per pixel column, not a sample that loses
// spikes.
//
// Gaps: a NaN y is a break in the line. The reduction keeps the first NaN
// of a column too, so a break stays where it was; min and max are over the
// numbers only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace sluice::data {

struct M4Range {
  double x_begin = 0;       // the x at the chart's left edge
  double x_end = 0;         // at its right edge; > x_begin
  std::uint32_t width = 0;  // pixel columns; > 0
};

// The rows of (x[i], y[i]) to draw for `range`, in ascending row order:
// per pixel column, the rows with the smallest and largest x (the earlier
// row on ties), the smallest and largest number y (likewise), and the first
// row with a NaN y. Rows whose x is outside [x_begin, x_end] or NaN are
// left out, except the nearest one on each side (largest x below x_begin,
// smallest x above x_end), so that a line runs on to the chart's edges when
// zoomed in. At most 5 * width + 2 rows; none for a range of no width or
// no span. REQUIRES: x.size() == y.size().
std::vector<std::uint64_t> M4Rows(std::span<const double> x, std::span<const double> y,
                                  const M4Range& range);

// The same for a series drawn against its row number: x[i] = first_x + i.
// Needs no x column (a chart of ten million values by index keeps no
// second ten million).
std::vector<std::uint64_t> M4RowsByIndex(double first_x, std::span<const double> y,
                                         const M4Range& range);

// The rows to draw for several series that share x (a chart's y columns):
// the union of each series' M4Rows, ascending. Every series is then drawn
// through all of them: the extra rows are real points of that series, each
// inside a pixel column whose extremes it already draws, so its picture is
// unchanged. `x` empty means the row number, as in M4RowsByIndex with
// first_x = 0 (then `offset` is added to it).
std::vector<std::uint64_t> M4RowsOfSeries(std::span<const double> x,
                                          std::span<const std::span<const double>> ys,
                                          const M4Range& range, double offset = 0);

// M4RowsOfSeries for an `x` in ascending order without NaN (or empty: the
// row number plus `offset`): the same rows, found without looking at every
// x. Each pixel column's rows are found by binary search, then one pass
// over each series' y in that column keeps its extremes; several times
// faster than M4RowsOfSeries (bench/chart_bench).
std::vector<std::uint64_t> M4RowsOfSortedSeries(std::span<const double> x,
                                                std::span<const std::span<const double>> ys,
                                                const M4Range& range, double offset = 0);

// The pixel column of `x` in `range`: floor((x - x_begin) / (x_end -
// x_begin) * width), the right edge itself in the last column; -1 left of
// the range, `width` right of it (and for NaN).
std::int64_t M4Column(double x, const M4Range& range);

}  // namespace sluice::data
