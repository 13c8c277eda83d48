#include "data/m4.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

namespace sluice::data {

std::int64_t M4Column(double x, const M4Range& range) {
  if (std::isnan(x) || x > range.x_end) return range.width;
  if (x < range.x_begin) return -1;
  double at = (x - range.x_begin) / (range.x_end - range.x_begin) * range.width;
  // Also catches a NaN or infinite `at` (a range of zero or infinite span).
  if (!(at < range.width)) return range.width - 1;
  return static_cast<std::int64_t>(std::floor(at));
}

namespace {

constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();

// The rows a pixel column keeps, kNone where it has none.
struct Kept {
  std::uint64_t first = kNone, last = kNone, low = kNone, high = kNone, gap = kNone;
};

// M4Rows over `rows` points whose x is x_of(row): one template for an x
// column and for the row number.
template <class XOf>
std::vector<std::uint64_t> Reduce(std::uint64_t rows_count, XOf x_of, std::span<const double> y,
                                  const M4Range& range) {
  if (range.width == 0 || !(range.x_end > range.x_begin)) return {};
  std::vector<Kept> columns(range.width);
  std::uint64_t before = kNone;  // the largest x left of the range
  std::uint64_t after = kNone;   // the smallest x right of it
  for (std::uint64_t row = 0; row < rows_count; ++row) {
    double at = x_of(row);
    if (std::isnan(at)) continue;
    std::int64_t c = M4Column(at, range);
    if (c < 0) {
      if (before == kNone || at > x_of(before)) before = row;
      continue;
    }
    if (c >= static_cast<std::int64_t>(range.width)) {
      if (after == kNone || at < x_of(after)) after = row;
      continue;
    }
    Kept& kept = columns[static_cast<std::size_t>(c)];
    // Strict comparisons: on ties the earlier row stays.
    if (kept.first == kNone || at < x_of(kept.first)) kept.first = row;
    if (kept.last == kNone || at > x_of(kept.last)) kept.last = row;
    double value = y[row];
    if (std::isnan(value)) {
      if (kept.gap == kNone) kept.gap = row;
      continue;
    }
    if (kept.low == kNone || value < y[kept.low]) kept.low = row;
    if (kept.high == kNone || value > y[kept.high]) kept.high = row;
  }
  std::vector<std::uint64_t> rows;
  for (const Kept& kept : columns) {
    for (std::uint64_t row : {kept.first, kept.last, kept.low, kept.high, kept.gap}) {
      if (row != kNone) rows.push_back(row);
    }
  }
  if (before != kNone) rows.push_back(before);
  if (after != kNone) rows.push_back(after);
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

}  // namespace

std::vector<std::uint64_t> M4Rows(std::span<const double> x, std::span<const double> y,
                                  const M4Range& range) {
  return Reduce(
      x.size(), [x](std::uint64_t row) { return x[row]; }, y, range);
}

std::vector<std::uint64_t> M4RowsByIndex(double first_x, std::span<const double> y,
                                         const M4Range& range) {
  return Reduce(
      y.size(), [first_x](std::uint64_t row) { return first_x + static_cast<double>(row); }, y,
      range);
}

std::vector<std::uint64_t> M4RowsOfSeries(std::span<const double> x,
                                          std::span<const std::span<const double>> ys,
                                          const M4Range& range, double offset) {
  std::vector<std::uint64_t> rows;
  for (std::span<const double> y : ys) {
    std::vector<std::uint64_t> more =
        x.empty() ? M4RowsByIndex(offset, y, range) : M4Rows(x, y, range);
    std::vector<std::uint64_t> merged;
    merged.reserve(rows.size() + more.size());
    std::set_union(rows.begin(), rows.end(), more.begin(), more.end(), std::back_inserter(merged));
    rows = std::move(merged);
  }
  return rows;
}

}  // namespace sluice::data
