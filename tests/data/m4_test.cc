// The M4 reduction (data/m4.h) against brute force: for every pixel column,
// the reduced rows have the same first and last point, the same lowest and
// highest value, and a gap where the whole series has one.
#include "data/m4.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <vector>

namespace sluice::data {
namespace {

using ::testing::ElementsAre;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// What a pixel column shows: its first and last point, its value range,
// and whether the line breaks in it.
struct ColumnLook {
  std::optional<double> first_x, first_y, last_x, last_y, low, high;
  bool gap = false;
  bool operator==(const ColumnLook& other) const {
    auto same = [](std::optional<double> a, std::optional<double> b) {
      if (a.has_value() != b.has_value()) return false;
      return !a || (std::isnan(*a) && std::isnan(*b)) || *a == *b;
    };
    return same(first_x, other.first_x) && same(first_y, other.first_y) &&
           same(last_x, other.last_x) && same(last_y, other.last_y) && same(low, other.low) &&
           same(high, other.high) && gap == other.gap;
  }
};

// Every column's look over the rows `rows` (all rows when empty is false).
std::vector<ColumnLook> Looks(const std::vector<double>& x, const std::vector<double>& y,
                              const std::vector<std::uint64_t>& rows, const M4Range& range) {
  std::vector<ColumnLook> looks(range.width);
  for (std::uint64_t row : rows) {
    std::int64_t c = M4Column(x[row], range);
    if (c < 0 || c >= range.width) continue;
    ColumnLook& look = looks[c];
    if (!look.first_x || x[row] < *look.first_x) look.first_x = x[row], look.first_y = y[row];
    if (!look.last_x || x[row] > *look.last_x) look.last_x = x[row], look.last_y = y[row];
    if (std::isnan(y[row])) {
      look.gap = true;
      continue;
    }
    if (!look.low || y[row] < *look.low) look.low = y[row];
    if (!look.high || y[row] > *look.high) look.high = y[row];
  }
  return looks;
}

std::vector<std::uint64_t> AllRows(std::size_t n) {
  std::vector<std::uint64_t> rows(n);
  for (std::size_t i = 0; i < n; ++i) rows[i] = i;
  return rows;
}

void ExpectSamePicture(const std::vector<double>& x, const std::vector<double>& y,
                       const M4Range& range) {
  std::vector<std::uint64_t> reduced = M4Rows(x, y, range);
  EXPECT_LE(reduced.size(), 5u * range.width + 2);
  EXPECT_TRUE(std::is_sorted(reduced.begin(), reduced.end()));
  std::vector<ColumnLook> all = Looks(x, y, AllRows(x.size()), range);
  std::vector<ColumnLook> kept = Looks(x, y, reduced, range);
  for (std::uint32_t c = 0; c < range.width; ++c) {
    ASSERT_TRUE(all[c] == kept[c]) << "pixel column " << c << " of " << range.width;
  }
}

std::vector<double> Index(std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<double>(i);
  return x;
}

TEST(M4Test, RandomSeriesDrawsTheSamePixels) {
  std::mt19937_64 random(7);
  std::normal_distribution<double> noise;
  std::vector<double> x = Index(100'000), y(x.size());
  for (double& v : y) v = noise(random);
  for (std::uint32_t width : {1u, 7u, 640u, 1920u}) ExpectSamePicture(x, y, {0, 99'999, width});
}

TEST(M4Test, MonotoneSeriesKeepsItsEnds) {
  std::vector<double> x = Index(50'000), y(x.size());
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::sqrt(static_cast<double>(i));
  ExpectSamePicture(x, y, {0, 49'999, 300});
  std::vector<std::uint64_t> one = M4Rows(x, y, {0, 49'999, 1});
  EXPECT_THAT(one, ElementsAre(0, 49'999)) << "a rising line's first is its low, its last its high";
}

TEST(M4Test, OneSpikeAmongMillionsIsKept) {
  std::vector<double> x = Index(1'000'000), y(x.size(), 1.0);
  y[123'457] = 1e9;
  y[654'321] = -1e9;
  std::vector<std::uint64_t> rows = M4Rows(x, y, {0, 999'999, 800});
  EXPECT_TRUE(std::binary_search(rows.begin(), rows.end(), 123'457u));
  EXPECT_TRUE(std::binary_search(rows.begin(), rows.end(), 654'321u));
  EXPECT_LE(rows.size(), 4u * 800);
  ExpectSamePicture(x, y, {0, 999'999, 800});
}

TEST(M4Test, NaNsBreakTheLineWhereTheyWereAndNeverCountAsExtremes) {
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> value(-5, 5);
  std::vector<double> x = Index(20'000), y(x.size());
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = i % 97 == 3 ? kNaN : value(random);
  y[0] = kNaN;  // a column that starts with a break
  ExpectSamePicture(x, y, {0, 19'999, 512});
}

TEST(M4Test, ZoomKeepsTheNearestPointsOutsideSoTheLineReachesTheEdges) {
  std::vector<double> x = Index(1000), y(x.size());
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<double>(i % 10);
  std::vector<std::uint64_t> rows = M4Rows(x, y, {100.5, 199.5, 1000});
  EXPECT_EQ(rows.front(), 100u) << "the last point left of the range";
  EXPECT_EQ(rows.back(), 200u) << "the first point right of it";
  EXPECT_EQ(rows.size(), 101u) << "fewer points than pixels: every one is kept";
}

TEST(M4Test, UnevenAndRepeatedXAreBinnedByValue) {
  std::vector<double> x = {0, 0, 0, 1, 1, 5, 9.999, 10, kNaN, 3};
  std::vector<double> y = {3, 1, 2, 0, 7, 4, 4, 4, 100, -1};
  ExpectSamePicture(x, y, {0, 10, 2});
  std::vector<std::uint64_t> rows = M4Rows(x, y, {0, 10, 2});
  EXPECT_FALSE(std::binary_search(rows.begin(), rows.end(), 8u)) << "a NaN x is not drawn";
}

TEST(M4Test, ColumnOfTheRightEdgeIsTheLast) {
  M4Range range{0, 10, 5};
  EXPECT_EQ(M4Column(0, range), 0);
  EXPECT_EQ(M4Column(9.99, range), 4);
  EXPECT_EQ(M4Column(10, range), 4);
  EXPECT_EQ(M4Column(-0.1, range), -1);
  EXPECT_EQ(M4Column(10.1, range), 5);
  EXPECT_EQ(M4Column(kNaN, range), 5);
}

TEST(M4Test, ARangeWithoutWidthOrSpanDrawsNothing) {
  std::vector<double> x = {1, 2, 3}, y = {1, 2, 3};
  EXPECT_TRUE(M4Rows(x, y, {0, 10, 0}).empty());
  EXPECT_TRUE(M4Rows(x, y, {5, 5, 100}).empty());
  EXPECT_TRUE(M4Rows(x, y, {kNaN, 5, 100}).empty());
  EXPECT_FALSE(M4Rows(x, y, {-std::numeric_limits<double>::infinity(), 5, 100}).empty())
      << "an infinite span still puts every point somewhere";
}

TEST(M4Test, ByIndexKeepsWhatAnIndexColumnWouldKeep) {
  std::mt19937_64 random(11);
  std::normal_distribution<double> noise;
  std::vector<double> y(20'000);
  for (double& v : y) v = noise(random);
  y[4'321] = kNaN;
  std::vector<double> x(y.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 1'000.0 + static_cast<double>(i);
  for (M4Range range : {M4Range{1'000, 20'999, 640}, M4Range{5'000, 6'000, 300}}) {
    EXPECT_EQ(M4RowsByIndex(1'000, y, range), M4Rows(x, y, range));
  }
}

TEST(M4Test, SeriesSharingXEachDrawTheirOwnPictureThroughTheUnion) {
  std::mt19937_64 random(13);
  std::normal_distribution<double> noise;
  std::vector<double> x = Index(30'000), a(x.size()), b(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    a[i] = noise(random);
    b[i] = std::sin(static_cast<double>(i) / 500) + (i == 12'345 ? 50 : 0);
  }
  M4Range range{0, 29'999, 500};
  std::vector<std::span<const double>> ys = {a, b};
  std::vector<std::uint64_t> rows = M4RowsOfSeries(x, ys, range);
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
  EXPECT_TRUE(std::adjacent_find(rows.begin(), rows.end()) == rows.end()) << "no row twice";
  EXPECT_LE(rows.size(), 2 * (5u * range.width + 2));
  for (const std::vector<double>* y : {&a, &b}) {
    std::vector<ColumnLook> all = Looks(x, *y, AllRows(x.size()), range);
    std::vector<ColumnLook> kept = Looks(x, *y, rows, range);
    for (std::uint32_t c = 0; c < range.width; ++c) ASSERT_TRUE(all[c] == kept[c]) << c;
  }
  EXPECT_EQ(M4RowsOfSeries({}, ys, range), rows) << "no x column: the row number";
}

TEST(M4Test, SortedSeriesKeepExactlyWhatTheGeneralReductionKeeps) {
  std::mt19937_64 random(17);
  std::normal_distribution<double> noise;
  std::uniform_int_distribution<int> step(0, 3);  // 0: a repeated x
  for (int round = 0; round < 20; ++round) {
    std::size_t n = 1 + random() % 5'000;
    std::vector<double> x(n), a(n), b(n);
    double at = -100.0 * round;
    for (std::size_t i = 0; i < n; ++i) {
      at += step(random) * 0.5;
      x[i] = at;
      a[i] = random() % 50 == 0 ? kNaN : noise(random);
      b[i] = random() % 7 == 0 ? 3.0 : noise(random);  // ties in y
    }
    std::vector<std::span<const double>> ys = {a, b};
    double span = x.back() - x.front();
    for (M4Range range : {M4Range{x.front(), x.back(), 1}, M4Range{x.front(), x.back(), 97},
                          M4Range{x.front() + span / 3, x.front() + span / 2, 640},
                          M4Range{x.front() - 10, x.back() + 10, 33}}) {
      EXPECT_EQ(M4RowsOfSortedSeries(x, ys, range), M4RowsOfSeries(x, ys, range))
          << "round " << round << ", width " << range.width;
    }
    std::vector<double> index(n);
    for (std::size_t i = 0; i < n; ++i) index[i] = 7.0 + static_cast<double>(i);
    M4Range by_row{10, 7.0 + static_cast<double>(n) / 2, 50};
    EXPECT_EQ(M4RowsOfSortedSeries({}, ys, by_row, 7), M4RowsOfSeries(index, ys, by_row));
  }
}

}  // namespace
}  // namespace sluice::data
