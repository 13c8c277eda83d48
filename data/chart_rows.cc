#include "data/chart_rows.h"

#include <algorithm>
#include <cmath>

#include "data/m4.h"

namespace sluice::data {

namespace {

// The rows [begin, end) whose x lies in [x_min, x_max].
std::pair<std::uint64_t, std::uint64_t> RowsIn(const ChartSeries& series, double x_min,
                                               double x_max) {
  if (series.x.empty()) {
    double last = static_cast<double>(series.rows);
    double begin = std::clamp(std::ceil(x_min), 0.0, last);
    double end = std::clamp(std::floor(x_max) + 1, 0.0, last);
    return {static_cast<std::uint64_t>(begin),
            std::max(static_cast<std::uint64_t>(begin), static_cast<std::uint64_t>(end))};
  }
  auto begin = std::lower_bound(series.x.begin(), series.x.end(), x_min);
  auto end = std::upper_bound(begin, series.x.end(), x_max);
  return {static_cast<std::uint64_t>(begin - series.x.begin()),
          static_cast<std::uint64_t>(end - series.x.begin())};
}

}  // namespace

ChartRows RowsToDraw(const ChartSeries& series, double x_min, double x_max, std::uint32_t pixels) {
  auto [begin, end] = RowsIn(series, x_min, x_max);
  // One neighbour outside on each side.
  std::uint64_t from = begin > 0 ? begin - 1 : 0;
  std::uint64_t to = end < series.rows ? end + 1 : series.rows;
  ChartRows out;
  if (to - from <= kFullPointsPerPixel * pixels || !(x_max > x_min)) {
    // Few enough, or a range of no span (every point at one x): all of them.
    // A range of no span with more rows than that would need a reduction
    // by y alone; one x has one pixel column, so M4 of it is its first,
    // last, lowest and highest row.
    if (to - from > kFullPointsPerPixel * pixels) {
      // One pixel column around x_min, wide enough to hold it at any
      // magnitude (x_min +- 0.5 is x_min itself past 2^53).
      double half = std::max(0.5, std::abs(x_min) * 1e-9);
      std::vector<std::span<const double>> ys;
      for (std::span<const double> y : series.ys) ys.push_back(y.subspan(from, to - from));
      std::span<const double> x = series.x.empty() ? series.x : series.x.subspan(from, to - from);
      out.rows =
          M4RowsOfSortedSeries(x, ys, {x_min - half, x_min + half, 1}, static_cast<double>(from));
      for (std::uint64_t& row : out.rows) row += from;
      return out;
    }
    out.full = true;
    out.rows.resize(to - from);
    for (std::uint64_t i = 0; i < out.rows.size(); ++i) out.rows[i] = from + i;
    return out;
  }
  std::span<const double> x = series.x.empty() ? series.x : series.x.subspan(from, to - from);
  std::vector<std::span<const double>> ys;
  ys.reserve(series.ys.size());
  for (std::span<const double> y : series.ys) ys.push_back(y.subspan(from, to - from));
  out.rows = M4RowsOfSortedSeries(x, ys, {x_min, x_max, pixels}, static_cast<double>(from));
  for (std::uint64_t& row : out.rows) row += from;
  return out;
}

}  // namespace sluice::data
