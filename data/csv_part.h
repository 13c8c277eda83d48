// One stretch of a CSV input's data records read into typed columns, in
// one pass where it can be: each column's values are parsed once, as the
// type inferred so far, and kept. A column whose inferred type later
// changes is either converted (int64 to double, exactly) or read again at
// the end (PartReader::Finish), which is the only second pass.
//
// The CSV reader reads one part for the whole input, or several parts on
// several threads and joins their types (JoinTypes) before finishing each
// with the same final types, so that the result is the serial one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/csv_options.h"
#include "data/csv_scanner.h"
#include "data/table.h"

namespace sluice::data {

// Which unquoted fields are null.
class NullValues {
 public:
  explicit NullValues(const std::vector<std::string>& values);
  bool Matches(const Field& field) const {
    if (field.quoted) return false;
    if (field.text.empty()) return empty_;
    for (const std::string& value : others_) {
      if (field.text == value) return true;
    }
    return false;
  }

 private:
  bool empty_ = false;
  std::vector<std::string> others_;
};

// What every part of one read shares; read-only while parts are read.
struct CsvLayout {
  std::string_view input;
  const CsvOptions* options;
  std::vector<std::string> names;
  std::vector<std::optional<ColumnType>> given;  // CsvOptions::column_types
  NullValues nulls;
};

// What a column's non-null values so far allow it to be. Each value is
// exactly one of int64 (also a double), double, bool, timestamp or none of
// them, so these states are the inference rules of csv_reader.h.
enum class Inferred { kNothing, kInt64, kDouble, kBool, kTimestamp, kString };

// The state both a and b allow.
Inferred JoinTypes(Inferred a, Inferred b);
// A column's type once every value was seen.
ColumnType TypeOf(Inferred inferred);

// Not thread-safe; each part has its own, all reading one CsvLayout.
class PartReader {
 public:
  explicit PartReader(const CsvLayout& layout);

  // Reads the records that start in [start, end) (at most max_rows, 0: no
  // limit), the first on line `first_line`. REQUIRES: start is where a
  // record starts; called once.
  void Read(std::size_t start, std::size_t end, std::size_t first_line, std::size_t max_rows);

  // Where reading stopped: the start of the first record not read.
  std::size_t stop() const { return stop_; }
  // The line stop() is on.
  std::size_t stop_line() const { return stop_line_; }
  std::size_t rows() const { return rows_; }
  // A malformed record; the part's records after it were not read.
  const std::optional<CsvError>& syntax_error() const { return syntax_error_; }
  // The first value that does not parse as its given type. Records after
  // it were still read for syntax, since a syntax error anywhere comes first.
  const std::optional<CsvError>& value_error() const { return value_error_; }
  Inferred inferred(std::size_t column) const { return columns_[column].inferred; }

  // The part's columns as `types` (given or joined over every part),
  // reading the records again for those whose kept values do not convert;
  // builders, so that the next parts' rows can be appended to the first's.
  // REQUIRES: Read found no error.
  std::vector<ColumnBuilder> Finish(const std::vector<ColumnType>& types) &&;

 private:
  struct State {
    Inferred inferred = Inferred::kNothing;
    // The values so far, as `inferred`; absent while only nulls were seen,
    // or once a change of type lost them (they are read again in Finish).
    std::optional<ColumnBuilder> values;
    bool negative_zero = false;  // "-0" is 0 as an int64 but -0.0 as a double
  };

  void Take(std::size_t column, const Field& field);
  void First(std::size_t column, std::string_view text);
  void Start(std::size_t column, ColumnType type, std::size_t nulls);
  void Drop(State& state, Inferred inferred);
  void Widen(std::size_t column);
  void EstimateRows(std::size_t at);

  const CsvLayout& layout_;
  std::vector<State> columns_;
  std::size_t start_ = 0, end_ = 0, first_line_ = 1, max_rows_ = 0;
  std::size_t stop_ = 0, stop_line_ = 1, rows_ = 0;
  std::size_t expected_rows_ = 0;  // what to reserve: a guess from the first records
  std::optional<CsvError> syntax_error_;
  std::optional<CsvError> value_error_;
};

}  // namespace sluice::data
