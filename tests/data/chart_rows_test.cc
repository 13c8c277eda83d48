#include "data/chart_rows.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace sluice::data {
namespace {

using ::testing::ElementsAre;

std::vector<double> Ramp(std::size_t n, double start = 0) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = start + static_cast<double>(i);
  return v;
}

TEST(ChartRowsTest, FewPointsAreSentEveryOneWithANeighbourOnEachSide) {
  std::vector<double> y = Ramp(1'000);
  ChartSeries series{{}, {y}, y.size()};
  ChartRows rows = RowsToDraw(series, 100, 199, 640);
  EXPECT_TRUE(rows.full);
  ASSERT_EQ(rows.rows.size(), 102u);
  EXPECT_EQ(rows.rows.front(), 99u) << "the line runs on to the left edge";
  EXPECT_EQ(rows.rows.back(), 200u) << "and to the right one";
}

TEST(ChartRowsTest, ManyPointsAreReducedToAFewPerPixelColumn) {
  std::vector<double> y(10'000'000);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::sin(static_cast<double>(i) / 1e5);
  y[7'654'321] = 42;
  ChartSeries series{{}, {y}, y.size()};
  ChartRows rows = RowsToDraw(series, 0, 9'999'999, 800);
  EXPECT_FALSE(rows.full);
  EXPECT_LE(rows.rows.size(), 5u * 800 + 2);
  EXPECT_NE(std::find(rows.rows.begin(), rows.rows.end(), 7'654'321u), rows.rows.end())
      << "the spike is drawn";
}

TEST(ChartRowsTest, ZoomingInComesBackToFullResolution) {
  std::vector<double> x = Ramp(1'000'000, 5'000), y = Ramp(1'000'000);
  ChartSeries series{x, {y}, x.size()};
  EXPECT_FALSE(RowsToDraw(series, 5'000, 1'004'999, 500).full);
  ChartRows zoomed = RowsToDraw(series, 600'000, 601'000, 500);
  EXPECT_TRUE(zoomed.full);
  EXPECT_EQ(zoomed.rows.front(), 594'999u);
  EXPECT_EQ(zoomed.rows.back(), 596'001u);
  EXPECT_EQ(zoomed.rows.size(), 1'003u);
}

TEST(ChartRowsTest, RangeOutsideTheSeriesGetsOnlyTheNearestPoint) {
  std::vector<double> y = Ramp(100);
  ChartSeries series{{}, {y}, y.size()};
  EXPECT_THAT(RowsToDraw(series, 500, 600, 100).rows, ElementsAre(99u));
  EXPECT_THAT(RowsToDraw(series, -50, -10, 100).rows, ElementsAre(0u));
}

TEST(ChartRowsTest, ManyPointsAtOneXKeepTheirExtremes) {
  std::vector<double> x(100'000, 3.0), y = Ramp(100'000);
  y[500] = -7;
  ChartSeries series{x, {y}, x.size()};
  ChartRows rows = RowsToDraw(series, 3, 3, 10);
  EXPECT_FALSE(rows.full);
  EXPECT_THAT(rows.rows, ElementsAre(0u, 500u, 99'999u));
}

TEST(ChartRowsTest, ManyPointsAtOneXPastTwoToTheFiftyThirdKeepTheirExtremesToo) {
  const double big = std::ldexp(1.0, 55);
  std::vector<double> x(5'000, big), y = Ramp(5'000);
  y[77] = 1e9;
  ChartSeries series{x, {y}, x.size()};
  EXPECT_THAT(RowsToDraw(series, big, big, 100).rows, ElementsAre(0u, 77u))
      << "the first (also the lowest) and the highest";
}

TEST(ChartRowsTest, AnEmptySeriesDrawsNothing) {
  ChartSeries series{{}, {std::span<const double>()}, 0};
  EXPECT_TRUE(RowsToDraw(series, 0, 1, 100).rows.empty());
}

}  // namespace
}  // namespace sluice::data
