#include "data/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace sluice::data {
namespace {

using ::testing::HasSubstr;

Table Read(std::string_view csv, const CsvOptions& options = {}) {
  absl::StatusOr<Table> table = ReadCsv(csv, options);
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *std::move(table) : Table();
}

std::string ErrorOf(std::string_view csv, const CsvOptions& options = {}) {
  absl::StatusOr<Table> table = ReadCsv(csv, options);
  EXPECT_FALSE(table.ok()) << "read " << csv;
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(table.status().message());
}

std::vector<std::string> Strings(const Table& table, std::size_t c) {
  std::vector<std::string> out;
  const Column& column = table.column(c);
  EXPECT_EQ(column.type(), ColumnType::kString);
  for (std::size_t r = 0; r < column.size(); ++r) {
    out.push_back(column.is_null(r) ? "<null>" : std::string(column.string(r)));
  }
  return out;
}

TEST(CsvReaderTest, NamesColumnsFromTheHeaderAndInfersEachType) {
  Table t = Read(
      "id,price,ok,when,name\n"
      "1,2.5,true,2024-01-31,apple\n"
      "-7,3,FALSE,2024-01-31T12:00:00Z,pear\n");
  ASSERT_EQ(t.num_columns(), 5u);
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.column(0).name(), "id");
  EXPECT_EQ(t.column(0).type(), ColumnType::kInt64);
  EXPECT_EQ(t.column(0).int64(1), -7);
  EXPECT_EQ(t.column(1).type(), ColumnType::kDouble);
  EXPECT_EQ(t.column(1).float64(0), 2.5);
  EXPECT_EQ(t.column(1).float64(1), 3.0);
  EXPECT_EQ(t.column(2).type(), ColumnType::kBool);
  EXPECT_TRUE(t.column(2).boolean(0));
  EXPECT_FALSE(t.column(2).boolean(1));
  EXPECT_EQ(t.column(3).type(), ColumnType::kTimestamp);
  EXPECT_EQ(t.column(3).timestamp(1) - t.column(3).timestamp(0), 12 * 3600 * 1'000'000'000LL);
  EXPECT_EQ(Strings(t, 4), (std::vector<std::string>{"apple", "pear"}));
  ASSERT_NE(t.Find("price"), nullptr);
  EXPECT_EQ(t.Find("price")->type(), ColumnType::kDouble);
  EXPECT_EQ(t.Find("nope"), nullptr);
}

TEST(CsvReaderTest, QuotedFieldsHoldDelimitersLineEndsAndDoubledQuotes) {
  Table t =
      Read("a,b\n\"x,y\",\"line1\nline2\"\n\"say \"\"hi\"\"\",\"\"\"\"\n\"\",\"crlf\r\nin\"\n");
  EXPECT_EQ(Strings(t, 0), (std::vector<std::string>{"x,y", "say \"hi\"", ""}));
  EXPECT_EQ(Strings(t, 1), (std::vector<std::string>{"line1\nline2", "\"", "crlf\r\nin"}));
}

TEST(CsvReaderTest, CrLfLfAndLoneCrAllEndRecords) {
  Table t = Read("a,b\r\n1,2\n3,4\r5,6\r\n");
  ASSERT_EQ(t.num_rows(), 3u);
  EXPECT_EQ(t.column(0).int64(2), 5);
  EXPECT_EQ(t.column(1).int64(2), 6);
}

TEST(CsvReaderTest, SkipsAUtf8ByteOrderMark) {
  Table t = Read(
      "\xEF\xBB\xBF"
      "a,b\n1,2\n");
  EXPECT_EQ(t.column(0).name(), "a");
  EXPECT_EQ(t.column(0).int64(0), 1);
}

TEST(CsvReaderTest, TheLastRecordNeedNotEndWithALineEnd) {
  Table t = Read("a,b\n1,2\n3,4");
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.column(1).int64(1), 4);
  Table quoted = Read("a\n\"x\"");
  EXPECT_EQ(Strings(quoted, 0), (std::vector<std::string>{"x"}));
}

TEST(CsvReaderTest, BlankLinesAreSkippedWhenThereAreSeveralColumns) {
  Table t = Read("a,b\n\n1,2\n\r\n\n3,4\n\n");
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.column(0).int64(1), 3);
}

TEST(CsvReaderTest, ABlankLineIsANullInAOneColumnFile) {
  Table t = Read("a\n1\n\n3\n");
  ASSERT_EQ(t.num_rows(), 3u);
  EXPECT_EQ(t.column(0).type(), ColumnType::kInt64);
  EXPECT_TRUE(t.column(0).is_null(1));
  EXPECT_EQ(t.column(0).int64(2), 3);
}

TEST(CsvReaderTest, EmptyUnquotedFieldsAreNullAndQuotedEmptyOnesAreEmptyStrings) {
  Table t = Read("n,s\n1,x\n,\"\"\n3,\n");
  EXPECT_EQ(t.column(0).type(), ColumnType::kInt64);
  EXPECT_EQ(t.column(0).null_count(), 1u);
  EXPECT_TRUE(t.column(0).is_null(1));
  EXPECT_FALSE(t.column(0).is_null(2));
  EXPECT_EQ(Strings(t, 1), (std::vector<std::string>{"x", "", "<null>"}));
}

TEST(CsvReaderTest, NullValuesOptionSaysWhichUnquotedFieldsAreNull) {
  CsvOptions options;
  options.null_values = {"NA", "-"};
  Table t = Read("n,s\nNA,NA\n2,\"NA\"\n-,\n", options);
  EXPECT_EQ(t.column(0).type(), ColumnType::kInt64);
  EXPECT_TRUE(t.column(0).is_null(0));
  EXPECT_TRUE(t.column(0).is_null(2));
  EXPECT_EQ(Strings(t, 1), (std::vector<std::string>{"<null>", "NA", ""}));
}

TEST(CsvReaderTest, AColumnOfOnlyNullsIsAStringColumn) {
  Table t = Read("a,b\n1,\n2,\n");
  EXPECT_EQ(t.column(1).type(), ColumnType::kString);
  EXPECT_EQ(t.column(1).null_count(), 2u);
}

TEST(CsvReaderTest, IntegersAndDoublesTogetherMakeADoubleColumn) {
  Table t = Read("x\n1\n2.5\n1e3\n-.5\ninf\n");
  ASSERT_EQ(t.column(0).type(), ColumnType::kDouble);
  EXPECT_EQ(t.column(0).float64(0), 1.0);
  EXPECT_EQ(t.column(0).float64(2), 1000.0);
  EXPECT_EQ(t.column(0).float64(3), -0.5);
}

TEST(CsvReaderTest, MixedKindsFallBackToString) {
  EXPECT_EQ(Read("x\n1\ntrue\n").column(0).type(), ColumnType::kString);
  EXPECT_EQ(Read("x\n2024-01-31\n1.5\n").column(0).type(), ColumnType::kString);
  EXPECT_EQ(Read("x\n1\n 2\n").column(0).type(), ColumnType::kString);
  EXPECT_EQ(Read("x\n1\n+2\n").column(0).type(), ColumnType::kString);
  Table t = Read("x\ntrue\nmaybe\n");
  EXPECT_EQ(Strings(t, 0), (std::vector<std::string>{"true", "maybe"}));
}

TEST(CsvReaderTest, AnIntegerBeyondInt64MakesAStringColumnKeepingEveryDigit) {
  Table t = Read("id\n1\n123456789012345678901234\n");
  EXPECT_EQ(Strings(t, 0), (std::vector<std::string>{"1", "123456789012345678901234"}));
  EXPECT_EQ(Read("x\n9223372036854775807\n-9223372036854775808\n").column(0).type(),
            ColumnType::kInt64);
}

TEST(CsvReaderTest, ZeroAndOneAreIntegersAndBoolsAreTrueOrFalseInAnyCase) {
  EXPECT_EQ(Read("x\n0\n1\n").column(0).type(), ColumnType::kInt64);
  Table t = Read("x\nTrue\nfalse\nTRUE\n");
  ASSERT_EQ(t.column(0).type(), ColumnType::kBool);
  EXPECT_TRUE(t.column(0).boolean(2));
}

TEST(CsvReaderTest, DatesAndDateTimesTogetherMakeATimestampColumn) {
  Table t = Read("t\n1970-01-02\n1970-01-01 00:00:01.5\n");
  ASSERT_EQ(t.column(0).type(), ColumnType::kTimestamp);
  EXPECT_EQ(t.column(0).timestamp(0), 86400 * 1'000'000'000LL);
  EXPECT_EQ(t.column(0).timestamp(1), 1'500'000'000LL);
}

TEST(CsvReaderTest, ColumnTypesOverrideInference) {
  CsvOptions options;
  options.column_types = {{"zip", ColumnType::kString}, {"n", ColumnType::kDouble}};
  Table t = Read("zip,n\n007,1\n10,2\n", options);
  EXPECT_EQ(Strings(t, 0), (std::vector<std::string>{"007", "10"}));
  EXPECT_EQ(t.column(1).type(), ColumnType::kDouble);
  EXPECT_EQ(t.column(1).float64(1), 2.0);
}

TEST(CsvReaderTest, AValueNotOfItsGivenTypeNamesLineColumnAndName) {
  CsvOptions options;
  options.column_types = {{"price", ColumnType::kDouble}};
  EXPECT_EQ(ErrorOf("id,name,price\n1,a,2.5\n2,b,abc\n", options),
            "line 3, column 3 (price): 'abc' is not a double");
  options.column_types = {{"n", ColumnType::kInt64}};
  EXPECT_EQ(ErrorOf("n\n1\n99999999999999999999\n", options),
            "line 3, column 1 (n): '99999999999999999999' is not an int64 (out of range)");
  options.column_types = {{"b", ColumnType::kBool}};
  EXPECT_EQ(ErrorOf("b\n1\n", options), "line 2, column 1 (b): '1' is not a bool (true or false)");
  options.column_types = {{"t", ColumnType::kTimestamp}};
  EXPECT_THAT(ErrorOf("t\n2024-02-30\n", options),
              HasSubstr("line 2, column 1 (t): '2024-02-30' is not a timestamp (ISO 8601"));
}

TEST(CsvReaderTest, ALongBadValueIsShortenedInTheMessage) {
  CsvOptions options;
  options.column_types = {{"n", ColumnType::kInt64}};
  std::string message = ErrorOf("n\n" + std::string(1000, 'x') + "\n", options);
  EXPECT_LT(message.size(), 120u);
  EXPECT_THAT(message, HasSubstr("...' is not an int64"));
}

TEST(CsvReaderTest, ColumnTypesNamingNoColumnIsAnError) {
  CsvOptions options;
  options.column_types = {{"prize", ColumnType::kDouble}};
  EXPECT_EQ(ErrorOf("price\n1\n", options),
            "column_types names 'prize', which is not a column of this file");
}

TEST(CsvReaderTest, AnUnterminatedQuoteNamesWhereItOpened) {
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3,\"four\n5,6\n"),
            "line 3, column 2: a quoted field is never closed");
}

TEST(CsvReaderTest, AQuoteInsideAnUnquotedFieldIsAnError) {
  EXPECT_THAT(ErrorOf("a,b\n1,2\"\n"),
              HasSubstr("line 2, column 2: a quote inside an unquoted field"));
}

TEST(CsvReaderTest, TextAfterAClosingQuoteIsAnError) {
  EXPECT_THAT(ErrorOf("a,b\n\"x\"y,2\n"),
              HasSubstr("line 2, column 1: text after a quoted field's closing quote"));
}

TEST(CsvReaderTest, ARecordWithADifferentFieldCountNamesItsLine) {
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3,4,5\n"),
            "line 3, column 3: a record of 3 fields, but the header has 2");
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3\n"), "line 3: a record of 1 fields, but the header has 2");
  CsvOptions no_header;
  no_header.header = false;
  EXPECT_EQ(ErrorOf("1,2\n3\n", no_header),
            "line 2: a record of 1 fields, but the first record has 2");
}

TEST(CsvReaderTest, LinesCountLineEndsInsideQuotedFields) {
  EXPECT_EQ(ErrorOf("a,b\n\"1\n\n\",2\n3\n"), "line 5: a record of 1 fields, but the header has 2");
}

TEST(CsvReaderTest, AHeaderNamingAColumnTwiceIsAnError) {
  EXPECT_EQ(ErrorOf("a,b,a\n1,2,3\n"), "line 1, column 3: the header names column 'a' twice");
}

TEST(CsvReaderTest, WithoutAHeaderColumnsAreNamedByPosition) {
  CsvOptions options;
  options.header = false;
  Table t = Read("1,x\n2,y\n", options);
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.column(0).name(), "column_1");
  EXPECT_EQ(t.column(1).name(), "column_2");
  EXPECT_EQ(t.column(0).int64(0), 1);
}

TEST(CsvReaderTest, AnEmptyHeaderFieldIsNamedByPosition) {
  Table t = Read(",a\n1,2\n");
  EXPECT_EQ(t.column(0).name(), "column_1");
  EXPECT_EQ(t.column(1).name(), "a");
}

TEST(CsvReaderTest, DelimiterAndQuoteAreOptions) {
  CsvOptions options;
  options.delimiter = ';';
  options.quote = '\'';
  Table t = Read("a;b\n'x;''y''';1,5\n", options);
  EXPECT_EQ(Strings(t, 0), (std::vector<std::string>{"x;'y'"}));
  EXPECT_EQ(Strings(t, 1), (std::vector<std::string>{"1,5"}));
  options.quote = ';';
  EXPECT_THAT(ErrorOf("a\n", options), HasSubstr("must differ"));
}

TEST(CsvReaderTest, MaxRowsStopsReadingThere) {
  CsvOptions options;
  options.max_rows = 2;
  Table t = Read("a\n1\n2\n3\nnot,even,csv\"\n", options);
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.column(0).type(), ColumnType::kInt64);
  EXPECT_EQ(t.column(0).int64(1), 2);
}

TEST(CsvReaderTest, EmptyInputIsAnEmptyTableAndAHeaderAloneHasNoRows) {
  EXPECT_EQ(Read("").num_columns(), 0u);
  EXPECT_EQ(Read("\xEF\xBB\xBF").num_columns(), 0u);
  Table t = Read("a,b\n");
  EXPECT_EQ(t.num_columns(), 2u);
  EXPECT_EQ(t.num_rows(), 0u);
}

TEST(CsvReaderTest, ReadsBytes) {
  std::string csv = "a\n1\n";
  absl::StatusOr<Table> t = ReadCsv(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(csv.data()), csv.size()));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->column(0).int64(0), 1);
}

TEST(CsvReaderTest, EveryPrefixOfASampleEitherParsesOrNamesALine) {
  const std::string sample =
      "\xEF\xBB\xBF"
      "id,price,ok,when,name\r\n"
      "1,2.5,true,2024-01-31,\"apple, red\"\r\n"
      "2,,false,2024-01-31T12:00:00.25+01:00,\"say \"\"hi\"\"\"\r\n"
      "\r\n"
      "3,1e3,TRUE,2024-02-29 00:00:00Z,\"two\nlines\"\n"
      "4,-0.5,,,\n";
  std::size_t parsed = 0;
  for (std::size_t n = 0; n <= sample.size(); ++n) {
    // An exact-size copy, so that a read past the end is one under ASan.
    std::vector<char> prefix(sample.begin(), sample.begin() + n);
    absl::StatusOr<Table> t = ReadCsv(std::string_view(prefix.data(), prefix.size()));
    if (t.ok()) {
      ++parsed;
    } else {
      EXPECT_THAT(t.status().message(), HasSubstr("line ")) << n;
    }
  }
  // At least every cut at a record's end parses (most others leave a short
  // record or an open quote).
  EXPECT_GE(parsed, 5u);
}

}  // namespace
}  // namespace sluice::data
