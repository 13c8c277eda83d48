#include "data/frame_ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/buffer.h"
#include "data/table.h"

namespace sluice::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Five rows: id 0..4, x with row 2 null, name with row 4 null.
Table Sample() {
  ColumnBuilder id("id", ColumnType::kInt64);
  ColumnBuilder x("x", ColumnType::kDouble);
  ColumnBuilder name("name", ColumnType::kString);
  ColumnBuilder flag("flag", ColumnType::kBool);
  for (int row = 0; row < 5; ++row) {
    id.AppendInt64(row);
    if (row == 2) {
      x.AppendNull();
    } else {
      x.AppendDouble(row * 1.5);
    }
    if (row == 4) {
      name.AppendNull();
    } else {
      name.AppendString(std::string(static_cast<std::size_t>(row), 'a'));
    }
    flag.AppendBool(row % 2 == 0);
  }
  std::vector<Column> columns;
  columns.push_back(std::move(id).Finish());
  columns.push_back(std::move(x).Finish());
  columns.push_back(std::move(name).Finish());
  columns.push_back(std::move(flag).Finish());
  return *Table::Make(std::move(columns));
}

TEST(BufferSharingTest, CopyingATableSharesItsColumnsValues) {
  Table table = Sample();
  Table copy = table;
  for (std::size_t i = 0; i < table.num_columns(); ++i) {
    EXPECT_EQ(copy.column(i).values_buffer().data(), table.column(i).values_buffer().data());
    EXPECT_EQ(copy.column(i).bytes_buffer().data(), table.column(i).bytes_buffer().data());
  }
  EXPECT_TRUE(Equal(copy, table));
}

TEST(BufferSharingTest, AColumnMadeOverAVectorKeepsItAliveAndPointsIntoIt) {
  std::vector<double> values = {1.0, 2.0, 3.0};
  const double* where = values.data();
  Buffer buffer = Buffer::FromVector(std::move(values));
  auto column = Column::Make("v", ColumnType::kDouble, 3, buffer);
  ASSERT_TRUE(column.ok()) << column.status();
  buffer = Buffer();
  EXPECT_EQ(column->doubles().data(), where) << "the vector's storage, not a copy";
  EXPECT_EQ(column->float64(2), 3.0);
  EXPECT_EQ(column->null_count(), 0u);
}

TEST(BufferSharingTest, MakeRefusesBuffersTooSmallForTheRows) {
  EXPECT_FALSE(
      Column::Make("v", ColumnType::kInt64, 4, Buffer::FromVector(std::vector<std::int64_t>(3)))
          .ok());
  EXPECT_FALSE(Column::Make("v", ColumnType::kInt64, 20,
                            Buffer::FromVector(std::vector<std::int64_t>(20)),
                            Buffer::FromVector(std::vector<std::uint8_t>(2)))
                   .ok())
      << "20 rows need 3 bytes of validity";
  EXPECT_FALSE(Column::MakeStrings("s", 2, Buffer::FromVector(std::vector<std::int64_t>{0, 3, 1}),
                                   Buffer::FromString("abc"))
                   .ok())
      << "decreasing offsets";
  EXPECT_FALSE(Column::MakeStrings("s", 1, Buffer::FromVector(std::vector<std::int64_t>{0, 9}),
                                   Buffer::FromString("abc"))
                   .ok())
      << "offsets past the bytes";
}

// A decoded cache entry may claim any row count: sizes that wrap around
// when rounded up (rows + 7, size + 1) must still be refused.
TEST(BufferSharingTest, MakeRefusesRowCountsThatWrapAround) {
  constexpr std::size_t kHuge = ~std::size_t{0};
  EXPECT_FALSE(Column::Make("v", ColumnType::kBool, kHuge - 3,
                            Buffer::FromVector(std::vector<std::uint8_t>(16)),
                            Buffer::FromVector(std::vector<std::uint8_t>(2)))
                   .ok());
  EXPECT_FALSE(Column::MakeStrings("s", kHuge, Buffer::FromVector(std::vector<std::int64_t>{0}),
                                   Buffer::FromString(""))
                   .ok());
}

TEST(BufferSharingTest, MakeCountsTheNullsInTheBitmap) {
  auto column = Column::Make(
      "v", ColumnType::kInt64, 10, Buffer::FromVector(std::vector<std::int64_t>(10, 7)),
      Buffer::FromVector(std::vector<std::uint8_t>{0b1111'0110, 0b1111'1101}));
  ASSERT_TRUE(column.ok());
  EXPECT_EQ(column->null_count(), 3u) << "rows 0, 3 and 9; bits past row 9 are not rows";
  EXPECT_TRUE(column->is_null(0));
  EXPECT_TRUE(column->is_null(9));
  EXPECT_FALSE(column->is_null(8));
}

TEST(HeadTest, KeepsTheFirstRowsOnTheSameBuffers) {
  Table table = Sample();
  Table head = Head(table, 3);
  ASSERT_EQ(head.num_rows(), 3u);
  ASSERT_EQ(head.num_columns(), 4u);
  EXPECT_EQ(head.column(0).integers().data(), table.column(0).integers().data());
  EXPECT_THAT(head.column(0).integers(), ElementsAre(0, 1, 2));
  EXPECT_TRUE(head.column(1).is_null(2));
  EXPECT_EQ(head.column(2).string(2), "aa");
  EXPECT_EQ(head.column(2).null_count(), 0u) << "the null string is in row 4";
  EXPECT_EQ(head.column(2).bytes(), "aaa") << "only its rows' bytes";
  EXPECT_EQ(Head(table, 99).num_rows(), 5u);
  EXPECT_EQ(Head(table, 0).num_rows(), 0u);
}

TEST(FilterTest, KeepsTheRowsTheMaskSelectsInOrder) {
  Table table = Sample();
  bool mask[] = {true, false, true, false, true};
  auto kept = Filter(table, mask);
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_EQ(kept->num_rows(), 3u);
  EXPECT_THAT(kept->column(0).integers(), ElementsAre(0, 2, 4));
  EXPECT_TRUE(kept->column(1).is_null(1));
  EXPECT_EQ(kept->column(1).float64(2), 6.0);
  EXPECT_TRUE(kept->column(2).is_null(2));
  EXPECT_EQ(kept->column(2).string(1), "aa");
  EXPECT_THAT(kept->column(3).bools(), ElementsAre(1, 1, 1));
}

TEST(FilterTest, AMaskOfAnotherLengthIsAnError) {
  bool mask[] = {true, false};
  auto kept = Filter(Sample(), mask);
  ASSERT_FALSE(kept.ok());
  EXPECT_EQ(kept.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(kept.status().message(), HasSubstr("a mask of 2 rows for a table of 5 rows"));
}

TEST(TakeRowsTest, GathersRowsInTheGivenOrderWithRepeats) {
  std::uint64_t rows[] = {4, 0, 4, 2};
  auto taken = TakeRows(Sample(), rows);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_THAT(taken->column(0).integers(), ElementsAre(4, 0, 4, 2));
  EXPECT_TRUE(taken->column(1).is_null(3));
  EXPECT_TRUE(taken->column(2).is_null(0));
  EXPECT_EQ(taken->column(2).string(1), "");
  EXPECT_FALSE(taken->column(2).is_null(1));
}

TEST(TakeRowsTest, ARowOutsideTheTableIsAnError) {
  std::uint64_t rows[] = {0, 5};
  EXPECT_EQ(TakeRows(Sample(), rows).status().code(), absl::StatusCode::kOutOfRange);
  std::uint64_t huge[] = {~std::uint64_t{0}};
  EXPECT_EQ(TakeRows(Sample(), huge).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(SameBuffersTest, OnlyTheSameBytesAtTheSameAddressesAreTheSame) {
  auto column = [](std::vector<std::int64_t> values) {
    std::size_t rows = values.size();  // before the move below
    return *Column::Make("n", ColumnType::kInt64, rows, Buffer::FromVector(std::move(values)));
  };
  Table table = *Table::Make({column({1, 2, 3})});
  Table copy = table;
  EXPECT_TRUE(SameBuffers(table, copy)) << "a copy shares its buffers";
  Table rebuilt = *Table::Make({column({1, 2, 3})});
  EXPECT_TRUE(Equal(table, rebuilt));
  EXPECT_FALSE(SameBuffers(table, rebuilt)) << "equal values elsewhere are not the same bytes";
  ASSERT_EQ(table.num_rows(), 3u);
  EXPECT_FALSE(SameBuffers(table, Head(table, 2)));
}

TEST(EqualTest, ComparesValuesNullsAndNames) {
  EXPECT_TRUE(Equal(Sample(), Sample()));
  std::uint64_t rows[] = {0, 1, 2, 3, 4};
  EXPECT_TRUE(Equal(*TakeRows(Sample(), rows), Sample()));
  std::uint64_t other[] = {1, 0, 2, 3, 4};
  EXPECT_FALSE(Equal(*TakeRows(Sample(), other), Sample()));
  EXPECT_FALSE(Equal(Head(Sample(), 4), Sample()));
}

}  // namespace
}  // namespace sluice::data
