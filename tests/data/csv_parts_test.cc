// The CSV reader's one-pass typing (a column whose type changes late) and
// its parallel read (CsvOptions::threads, ReadCsvInParts): whatever the
// parts, the table and the errors are those of the serial read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "data/csv_reader.h"

namespace sluice::data {
namespace {

// Why two tables differ, or "" when they hold the same columns and values
// (doubles bit for bit, so -0.0 is not 0.0).
std::string Difference(const Table& a, const Table& b) {
  if (a.num_columns() != b.num_columns() || a.num_rows() != b.num_rows()) {
    return "shape " + std::to_string(a.num_rows()) + "x" + std::to_string(a.num_columns()) +
           " vs " + std::to_string(b.num_rows()) + "x" + std::to_string(b.num_columns());
  }
  for (std::size_t c = 0; c < a.num_columns(); ++c) {
    const Column& x = a.column(c);
    const Column& y = b.column(c);
    if (x.name() != y.name() || x.type() != y.type()) return "column " + x.name();
    for (std::size_t r = 0; r < a.num_rows(); ++r) {
      const std::string where = x.name() + " row " + std::to_string(r);
      if (x.is_null(r) != y.is_null(r)) return where + " null";
      if (x.is_null(r)) continue;
      bool same = true;
      switch (x.type()) {
        case ColumnType::kInt64:
        case ColumnType::kTimestamp:
          same = x.int64(r) == y.int64(r);
          break;
        case ColumnType::kDouble:
          same = std::isnan(x.float64(r))
                     ? std::isnan(y.float64(r))
                     : x.float64(r) == y.float64(r) &&
                           std::signbit(x.float64(r)) == std::signbit(y.float64(r));
          break;
        case ColumnType::kBool:
          same = x.boolean(r) == y.boolean(r);
          break;
        case ColumnType::kString:
          same = x.string(r) == y.string(r);
          break;
      }
      if (!same) return where;
    }
  }
  return "";
}

// What a read gives, as text: the error message, or "ok".
std::string Outcome(const absl::StatusOr<Table>& table) {
  return table.ok() ? "ok" : std::string(table.status().message());
}

// Reads `csv` in parts of every size from 1 byte to the whole, on 1 to 3
// threads, and expects each read to be the serial one.
void ExpectPartsReadAsSerial(const std::string& csv, const CsvOptions& options = {}) {
  const absl::StatusOr<Table> serial = ReadCsv(csv, options);
  for (std::size_t part = 1; part <= csv.size() + 1; ++part) {
    for (int threads : {1, 3}) {
      CsvOptions parallel = options;
      parallel.threads = threads;
      absl::StatusOr<Table> parts = ReadCsvInParts(csv, parallel, part);
      ASSERT_EQ(Outcome(parts), Outcome(serial)) << "parts of " << part << " bytes";
      if (serial.ok()) {
        ASSERT_EQ(Difference(*parts, *serial), "") << "parts of " << part << " bytes";
      }
    }
  }
}

// Quoted line ends (LF, CRLF, lone CR) and doubled quotes that a split at
// a line end lands inside, blank lines, nulls, and columns whose type
// changes in a later part: int then double, int then string, a "-0" int
// that must become -0.0, only nulls in some parts, bools and timestamps.
const char kTricky[] =
    "id,note,x,n,flag,when,late\r\n"
    "1,\"one\nline\ntwo\",1,,true,2024-01-31,5\r\n"
    "2,\"a \"\"quoted\"\"\r\nword\",-0,,FALSE,2024-01-31T12:00:00Z,6\n"
    "\n"
    "3,plain,7,,true,,7\n"
    "4,\"\n\n\n\",9007199254740993,,false,2024-02-01 00:00:01.5,8\r"
    "5,\"x,y\",2.5,3,true,1970-01-01,abc\n"
    "6,,1e3,,,2024-03-01,9\n";

TEST(CsvPartsTest, TrickyInputReadInPartsOfEverySizeIsTheSerialTable) {
  ExpectPartsReadAsSerial(kTricky);
  CsvOptions options;
  options.header = false;
  ExpectPartsReadAsSerial(kTricky, options);
}

TEST(CsvPartsTest, AQuotedFieldOfManyLinesAcrossEveryPartBoundary) {
  std::string csv = "a,b\n";
  for (int i = 0; i < 8; ++i) csv += std::to_string(i) + ",\"l1\nl2\r\nl3\n\n\"\"x\"\"\n\"\n";
  ExpectPartsReadAsSerial(csv);
}

TEST(CsvPartsTest, ErrorsNameTheSerialLineWhateverThePartsAre) {
  // Line 10 (the quoted fields hold 5 line ends) has a quote inside a field.
  const std::string syntax = "a,b\n1,\"x\ny\"\n2,\"\n\n\"\n3,ok\n4,\"z\nz\"\n5,b\"ad\n6,c\n";
  EXPECT_THAT(Outcome(ReadCsv(syntax)), ::testing::StartsWith("line 10, column 2: a quote"));
  ExpectPartsReadAsSerial(syntax);

  // Too few fields on line 6.
  ExpectPartsReadAsSerial("a,b\n1,\"\n\"\n2,x\n3,y\n4\n5,z\n");
  EXPECT_EQ(Outcome(ReadCsv("a,b\n1,\"\n\"\n2,x\n3,y\n4\n5,z\n")),
            "line 6: a record of 1 fields, but the header has 2");

  // An unterminated quote in the last part.
  ExpectPartsReadAsSerial("a,b\n1,x\n2,y\n3,\"never closed\n4,z\n");
}

TEST(CsvPartsTest, ASyntaxErrorAfterAValueErrorStillComesFirstInParts) {
  CsvOptions options;
  options.column_types = {{"n", ColumnType::kInt64}};
  const std::string csv = "n,s\n1,a\nx,b\n3,c\n4,\"d\n5,e\n";
  EXPECT_EQ(Outcome(ReadCsv(csv, options)), "line 5, column 2: a quoted field is never closed");
  ExpectPartsReadAsSerial(csv, options);
  // Without the syntax error, the value error is the one.
  const std::string values = "n,s\n1,\"a\nb\"\nx,b\n3,c\ny,d\n";
  EXPECT_EQ(Outcome(ReadCsv(values, options)), "line 4, column 1 (n): 'x' is not an int64");
  ExpectPartsReadAsSerial(values, options);
}

// Big enough (over 2 MiB) that ReadCsv itself splits it on two threads.
TEST(CsvPartsTest, ALargeInputOnTwoThreadsIsTheSerialTable) {
  std::string csv = "id,v,s\n";
  for (int i = 0; csv.size() < (3u << 20); ++i) {
    csv += std::to_string(i) + "," + (i % 7 == 0 ? "" : std::to_string(i * 0.25)) + ",\"s " +
           std::to_string(i) + (i % 5 == 0 ? "\n, \"\"q\"\"\"" : "\"") + "\n";
  }
  csv += "last,1.5,\"tail\"\n";  // the id column turns string in the last part
  CsvOptions two;
  two.threads = 2;
  absl::StatusOr<Table> serial = ReadCsv(csv);
  absl::StatusOr<Table> parallel = ReadCsv(csv, two);
  ASSERT_TRUE(serial.ok()) << serial.status();
  ASSERT_TRUE(parallel.ok()) << parallel.status();
  EXPECT_EQ(serial->column(0).type(), ColumnType::kString);
  EXPECT_EQ(serial->column(1).type(), ColumnType::kDouble);
  EXPECT_EQ(Difference(*parallel, *serial), "");
  two.threads = 0;  // one per core
  parallel = ReadCsv(csv, two);
  ASSERT_TRUE(parallel.ok()) << parallel.status();
  EXPECT_EQ(Difference(*parallel, *serial), "");
}

TEST(CsvPartsTest, NegativeThreadsAreAnError) {
  CsvOptions options;
  options.threads = -1;
  EXPECT_EQ(Outcome(ReadCsv("a\n1\n", options)), "CSV threads must not be negative");
}

TEST(CsvOnePassTest, AnIntColumnThatTurnsDoubleKeepsEveryValueExactly) {
  absl::StatusOr<Table> t = ReadCsv("x\n9007199254740993\n-0\n007\n\n0.5\n");
  ASSERT_TRUE(t.ok()) << t.status();
  const Column& x = t->column(0);
  ASSERT_EQ(x.type(), ColumnType::kDouble);
  EXPECT_EQ(x.float64(0), 9007199254740992.0);  // the double 9007199254740993 reads as
  EXPECT_TRUE(std::signbit(x.float64(1)));      // "-0" as a double is -0.0
  EXPECT_EQ(x.float64(2), 7.0);
  EXPECT_TRUE(x.is_null(3));  // a blank line, in a one-column file
  EXPECT_EQ(x.float64(4), 0.5);
}

TEST(CsvOnePassTest, AColumnThatTurnsStringLateKeepsEveryEarlierText) {
  absl::StatusOr<Table> t = ReadCsv("a,b\n007,true\n,TRUE\n1.50,false\nn/a,maybe\n");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->column(0).type(), ColumnType::kString);
  EXPECT_EQ(t->column(0).string(0), "007");
  EXPECT_TRUE(t->column(0).is_null(1));
  EXPECT_EQ(t->column(0).string(2), "1.50");
  EXPECT_EQ(t->column(0).string(3), "n/a");
  ASSERT_EQ(t->column(1).type(), ColumnType::kString);
  EXPECT_EQ(t->column(1).string(1), "TRUE");
}

TEST(CsvOnePassTest, ADoubleColumnMeetingAnIntegerBeyondInt64BecomesString) {
  absl::StatusOr<Table> t = ReadCsv("x\n1.5\n123456789012345678901\n");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->column(0).type(), ColumnType::kString);
  EXPECT_EQ(t->column(0).string(1), "123456789012345678901");
}

TEST(CsvOnePassTest, DoublesOutOfRangeAreNotDoubles) {
  absl::StatusOr<Table> t = ReadCsv("x,y\n1e400,1.5\n2,1e-400\n");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->column(0).type(), ColumnType::kString);
  EXPECT_EQ(t->column(1).type(), ColumnType::kString);
}

}  // namespace
}  // namespace sluice::data
