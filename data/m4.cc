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

// M4RowsOfSeries over `rows` points whose x_of(row) never decreases.
template <class XOf>
std::vector<std::uint64_t> ReduceSorted(std::uint64_t rows_count, XOf x_of,
                                        std::span<const std::span<const double>> ys,
                                        const M4Range& range) {
  if (range.width == 0 || !(range.x_end > range.x_begin)) return {};
  // The first row in [lo, hi) for which `past(row)` holds (it holds from
  // some row on, x being sorted).
  auto first_where = [](std::uint64_t lo, std::uint64_t hi, auto past) {
    while (lo < hi) {
      std::uint64_t mid = lo + (hi - lo) / 2;
      if (past(mid)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  };
  auto column_from = [&](std::int64_t c, std::uint64_t lo) {
    return first_where(lo, rows_count,
                       [&](std::uint64_t row) { return M4Column(x_of(row), range) >= c; });
  };
  // The earliest row in [lo, hi) whose x equals x_of(hi - 1): where M4Rows
  // keeps the largest x (the earlier row on ties).
  auto earliest_of_last_x = [&](std::uint64_t lo, std::uint64_t hi) {
    double last = x_of(hi - 1);
    return first_where(lo, hi, [&](std::uint64_t row) { return x_of(row) >= last; });
  };
  std::vector<std::uint64_t> rows;
  std::uint64_t begin = column_from(0, 0);
  if (begin > 0) rows.push_back(earliest_of_last_x(0, begin));  // nearest on the left
  std::vector<std::uint64_t> kept;
  for (std::int64_t c = 0; c < static_cast<std::int64_t>(range.width); ++c) {
    std::uint64_t end = column_from(c + 1, begin);
    if (end == begin) continue;
    kept.clear();
    kept.push_back(begin);
    kept.push_back(earliest_of_last_x(begin, end));
    for (std::span<const double> y : ys) {
      std::uint64_t low = kNone, high = kNone, gap = kNone;
      double low_value = 0, high_value = 0;
      for (std::uint64_t row = begin; row < end; ++row) {
        double value = y[row];
        if (std::isnan(value)) {
          if (gap == kNone) gap = row;
          continue;
        }
        // Strict comparisons: on ties the earlier row stays.
        if (low == kNone || value < low_value) low = row, low_value = value;
        if (high == kNone || value > high_value) high = row, high_value = value;
      }
      for (std::uint64_t row : {low, high, gap}) {
        if (row != kNone) kept.push_back(row);
      }
    }
    std::sort(kept.begin(), kept.end());
    kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
    rows.insert(rows.end(), kept.begin(), kept.end());
    begin = end;
  }
  if (begin < rows_count) rows.push_back(begin);  // nearest on the right
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

std::vector<std::uint64_t> M4RowsOfSortedSeries(std::span<const double> x,
                                                std::span<const std::span<const double>> ys,
                                                const M4Range& range, double offset) {
  if (x.empty()) {
    std::uint64_t rows = ys.empty() ? 0 : ys.front().size();
    return ReduceSorted(
        rows, [offset](std::uint64_t row) { return offset + static_cast<double>(row); }, ys, range);
  }
  return ReduceSorted(
      x.size(), [x](std::uint64_t row) { return x[row]; }, ys, range);
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
