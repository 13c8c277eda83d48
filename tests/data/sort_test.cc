#include "data/sort.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "data/table.h"

namespace sluice::data {
namespace {

using ::testing::ElementsAre;

Column Doubles(const std::vector<std::optional<double>>& values) {
  ColumnBuilder builder("x", ColumnType::kDouble);
  for (const auto& value : values) {
    if (value) {
      builder.AppendDouble(*value);
    } else {
      builder.AppendNull();
    }
  }
  return std::move(builder).Finish();
}

Column Integers(ColumnType type, const std::vector<std::optional<std::int64_t>>& values) {
  ColumnBuilder builder("i", type);
  for (const auto& value : values) {
    if (value) {
      builder.AppendInt64(*value);
    } else {
      builder.AppendNull();
    }
  }
  return std::move(builder).Finish();
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(SortPermutationTest, DoublesAscendWithNaNsThenNullsLast) {
  Column column = Doubles({3.5, std::nullopt, -1.0, kNaN, -kInf, 0.0, kInf, -2.5e300, 1e-300});
  EXPECT_THAT(SortPermutation(column, SortOrder::kAscending),
              ElementsAre(4, 7, 2, 5, 8, 0, 6, 3, 1));
}

TEST(SortPermutationTest, DoublesDescendWithNaNsThenNullsStillLast) {
  Column column = Doubles({3.5, std::nullopt, -1.0, kNaN, -kInf, 0.0, kInf, -2.5e300, 1e-300});
  EXPECT_THAT(SortPermutation(column, SortOrder::kDescending),
              ElementsAre(6, 0, 8, 5, 2, 7, 4, 3, 1));
}

TEST(SortPermutationTest, EqualValuesKeepTheirRowOrderInBothDirections) {
  // -0.0 and 0.0 are equal values, so they too keep their order.
  Column column = Doubles({1.0, 0.0, 1.0, -0.0, std::nullopt, 1.0, 0.0, std::nullopt});
  EXPECT_THAT(SortPermutation(column, SortOrder::kAscending), ElementsAre(1, 3, 6, 0, 2, 5, 4, 7));
  EXPECT_THAT(SortPermutation(column, SortOrder::kDescending), ElementsAre(0, 2, 5, 1, 3, 6, 4, 7));
}

TEST(SortPermutationTest, IntegersAndTimestampsSortBySignedValue) {
  std::vector<std::optional<std::int64_t>> values = {5,
                                                     std::numeric_limits<std::int64_t>::min(),
                                                     -1,
                                                     std::nullopt,
                                                     std::numeric_limits<std::int64_t>::max(),
                                                     0,
                                                     5};
  for (ColumnType type : {ColumnType::kInt64, ColumnType::kTimestamp}) {
    Column column = Integers(type, values);
    EXPECT_THAT(SortPermutation(column, SortOrder::kAscending), ElementsAre(1, 2, 5, 0, 6, 4, 3));
    EXPECT_THAT(SortPermutation(column, SortOrder::kDescending), ElementsAre(4, 0, 6, 5, 2, 1, 3));
  }
}

TEST(SortPermutationTest, BoolsAndStrings) {
  ColumnBuilder flags("b", ColumnType::kBool);
  flags.AppendBool(true);
  flags.AppendNull();
  flags.AppendBool(false);
  flags.AppendBool(true);
  Column b = std::move(flags).Finish();
  EXPECT_THAT(SortPermutation(b, SortOrder::kAscending), ElementsAre(2, 0, 3, 1));
  EXPECT_THAT(SortPermutation(b, SortOrder::kDescending), ElementsAre(0, 3, 2, 1));

  ColumnBuilder names("s", ColumnType::kString);
  for (const char* name : {"pear", "", "apple", "Pear", "pear"}) names.AppendString(name);
  names.AppendNull();
  Column s = std::move(names).Finish();
  EXPECT_THAT(SortPermutation(s, SortOrder::kAscending), ElementsAre(1, 3, 2, 0, 4, 5));
  EXPECT_THAT(SortPermutation(s, SortOrder::kDescending), ElementsAre(0, 4, 2, 3, 1, 5));
}

TEST(SortPermutationTest, ManyRandomDoublesMatchAStableComparisonSort) {
  std::mt19937_64 random(15);
  std::uniform_int_distribution<int> pick(0, 60);
  std::normal_distribution<double> normal(0, 1e6);
  std::vector<std::optional<double>> values;
  for (int i = 0; i < 100'000; ++i) {
    int kind = pick(random);
    if (kind == 0) {
      values.push_back(std::nullopt);
    } else if (kind == 1) {
      values.push_back(kNaN);
    } else if (kind < 20) {
      values.push_back(static_cast<double>(kind));  // many ties
    } else {
      values.push_back(normal(random));
    }
  }
  Column column = Doubles(values);
  for (SortOrder order : {SortOrder::kAscending, SortOrder::kDescending}) {
    std::vector<std::uint64_t> expected(values.size());
    for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = i;
    auto rank = [&](std::uint64_t row) {  // 0: a number, 1: NaN, 2: null
      const auto& v = values[static_cast<std::size_t>(row)];
      return !v ? 2 : std::isnan(*v) ? 1 : 0;
    };
    std::stable_sort(expected.begin(), expected.end(), [&](std::uint64_t a, std::uint64_t b) {
      if (rank(a) != rank(b)) return rank(a) < rank(b);
      if (rank(a) != 0) return false;
      double x = *values[static_cast<std::size_t>(a)];
      double y = *values[static_cast<std::size_t>(b)];
      return order == SortOrder::kAscending ? x < y : y < x;
    });
    EXPECT_EQ(SortPermutation(column, order), expected);
  }
}

TEST(SortPermutationTest, AnEmptyColumnHasAnEmptyPermutation) {
  EXPECT_TRUE(SortPermutation(Doubles({}), SortOrder::kAscending).empty());
  EXPECT_THAT(SortPermutation(Doubles({std::nullopt}), SortOrder::kAscending), ElementsAre(0));
}

}  // namespace
}  // namespace sluice::data
