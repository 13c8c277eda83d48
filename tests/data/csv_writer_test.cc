#include "data/csv_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "data/csv_reader.h"
#include "util/strings.h"

namespace sluice::data {
namespace {

// Every column of a table with every type, some rows null.
Table EveryType() {
  ColumnBuilder i("i", ColumnType::kInt64);
  ColumnBuilder d("d", ColumnType::kDouble);
  ColumnBuilder b("b", ColumnType::kBool);
  ColumnBuilder s("s, with \"quotes\"", ColumnType::kString);
  ColumnBuilder t("t", ColumnType::kTimestamp);
  i.AppendInt64(INT64_MIN);
  d.AppendDouble(0.1);
  b.AppendBool(true);
  s.AppendString("plain");
  t.AppendInt64(0);
  i.AppendNull();
  d.AppendNull();
  b.AppendNull();
  s.AppendNull();
  t.AppendNull();
  i.AppendInt64(42);
  d.AppendDouble(1.0);
  b.AppendBool(false);
  s.AppendString("");
  t.AppendInt64(1'706'659'200'123'456'789);
  i.AppendInt64(INT64_MAX);
  d.AppendDouble(-1e300);
  b.AppendBool(true);
  s.AppendString("a,b\r\n\"c\"\n");
  t.AppendInt64(-1);
  i.AppendInt64(-3);
  d.AppendDouble(std::numeric_limits<double>::denorm_min());
  b.AppendBool(false);
  s.AppendString(
      "\xEF\xBB\xBF"
      "bom");
  t.AppendInt64(INT64_MIN);
  std::vector<Column> columns;
  for (ColumnBuilder* builder : {&i, &d, &b, &s, &t})
    columns.push_back(std::move(*builder).Finish());
  absl::StatusOr<Table> table = Table::Make(std::move(columns));
  EXPECT_TRUE(table.ok());
  return *std::move(table);
}

void ExpectSameTable(const Table& a, const Table& b) {
  ASSERT_EQ(a.num_columns(), b.num_columns());
  ASSERT_EQ(a.num_rows(), b.num_rows());
  for (std::size_t c = 0; c < a.num_columns(); ++c) {
    const Column& x = a.column(c);
    const Column& y = b.column(c);
    EXPECT_EQ(x.name(), y.name());
    ASSERT_EQ(x.type(), y.type()) << x.name();
    for (std::size_t r = 0; r < a.num_rows(); ++r) {
      ASSERT_EQ(x.is_null(r), y.is_null(r)) << x.name() << " row " << r;
      if (x.is_null(r)) continue;
      switch (x.type()) {
        case ColumnType::kInt64:
        case ColumnType::kTimestamp:
          EXPECT_EQ(x.int64(r), y.int64(r)) << x.name() << " row " << r;
          break;
        case ColumnType::kDouble:
          EXPECT_EQ(std::memcmp(&x.doubles()[r], &y.doubles()[r], sizeof(double)), 0)
              << x.float64(r) << " vs " << y.float64(r);
          break;
        case ColumnType::kBool:
          EXPECT_EQ(x.boolean(r), y.boolean(r));
          break;
        case ColumnType::kString:
          EXPECT_EQ(x.string(r), y.string(r));
          break;
      }
    }
  }
}

TEST(CsvWriterTest, ReadingWhatWasWrittenGivesTheSameTableWithEveryTypeAndNulls) {
  Table table = EveryType();
  std::string csv = WriteCsv(table);
  absl::StatusOr<Table> back = ReadCsv(csv);  // types inferred, not given
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << csv;
  ExpectSameTable(table, *back);
}

TEST(CsvWriterTest, RoundTripsWithOtherDelimiterQuoteAndNullSpelling) {
  Table table = EveryType();
  CsvOptions options;
  options.delimiter = '\t';
  options.quote = '\'';
  options.null_values = {"NA", ""};
  options.header = false;
  for (const Column& column : table.columns()) {
    options.column_types[StrCat("column_", options.column_types.size() + 1)] = column.type();
  }
  absl::StatusOr<Table> back = ReadCsv(WriteCsv(table, options), options);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->num_rows(), table.num_rows());
  EXPECT_TRUE(back->column(0).is_null(1));
  EXPECT_EQ(back->column(3).string(3), "a,b\r\n\"c\"\n");
  EXPECT_EQ(back->column(1).float64(2), 1.0);
}

TEST(CsvWriterTest, QuotesOnlyFieldsThatNeedIt) {
  ColumnBuilder s("name", ColumnType::kString);
  for (const char* value : {"plain", "a,b", "say \"hi\"", "two\nlines", "", "cr\r"}) {
    s.AppendString(value);
  }
  s.AppendNull();
  std::vector<Column> columns;
  columns.push_back(std::move(s).Finish());
  EXPECT_EQ(WriteCsv(*Table::Make(std::move(columns))),
            "name\nplain\n\"a,b\"\n\"say \"\"hi\"\"\"\n\"two\nlines\"\n\"\"\n\"cr\r\"\n\n");
}

TEST(CsvWriterTest, DoublesAreShortestAndIntegralOnesKeepAPoint) {
  ColumnBuilder d("d", ColumnType::kDouble);
  for (double value : {0.1, 1.0, -0.0, 1e21, 2.5e-8, std::numeric_limits<double>::infinity()}) {
    d.AppendDouble(value);
  }
  std::vector<Column> columns;
  columns.push_back(std::move(d).Finish());
  EXPECT_EQ(WriteCsv(*Table::Make(std::move(columns))), "d\n0.1\n1.0\n-0.0\n1e+21\n2.5e-08\ninf\n");
}

TEST(CsvWriterTest, TimestampsAreIsoUtcWithAFractionOnlyWhenNonZero) {
  ColumnBuilder t("t", ColumnType::kTimestamp);
  t.AppendInt64(1'706'659'200'000'000'000);
  t.AppendInt64(1'706'659'200'500'000'000);
  std::vector<Column> columns;
  columns.push_back(std::move(t).Finish());
  EXPECT_EQ(WriteCsv(*Table::Make(std::move(columns))),
            "t\n2024-01-31T00:00:00Z\n2024-01-31T00:00:00.5Z\n");
}

TEST(CsvWriterTest, AnEmptyTableWritesNothing) { EXPECT_EQ(WriteCsv(Table()), ""); }

}  // namespace
}  // namespace sluice::data
