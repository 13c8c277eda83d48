// A columnar table: named columns, each of one type, with nulls. What the
// CSV reader produces and the writer consumes. The layout follows Arrow's so
// that a column's buffers can later be handed to st::Column without a copy:
// fixed-width values in one vector, strings as one byte buffer plus offsets,
// nulls as a validity bitmap.
//
// A Table is immutable once built (ColumnBuilder::Finish, Table::Make);
// copying one copies its buffers. Safe to read from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sluice::data {

enum class ColumnType {
  kInt64,
  kDouble,
  kBool,
  kString,
  kTimestamp,  // int64 nanoseconds since the Unix epoch, UTC
};

// "int64", "double", "bool", "string", "timestamp": the names error
// messages use.
std::string_view ColumnTypeName(ColumnType type);

class Column {
 public:
  const std::string& name() const { return name_; }
  ColumnType type() const { return type_; }
  std::size_t size() const { return size_; }
  std::size_t null_count() const { return null_count_; }

  // REQUIRES: row < size(). A null row's value is 0 / false / "".
  bool is_null(std::size_t row) const {
    return null_count_ != 0 && (validity_[row / 8] & (1u << (row % 8))) == 0;
  }
  // REQUIRES: the column's type (timestamp() for kTimestamp).
  std::int64_t int64(std::size_t row) const { return integers_[row]; }
  std::int64_t timestamp(std::size_t row) const { return integers_[row]; }
  double float64(std::size_t row) const { return doubles_[row]; }
  bool boolean(std::size_t row) const { return bools_[row] != 0; }
  std::string_view string(std::size_t row) const {
    return std::string_view(bytes_).substr(
        offsets_[row], static_cast<std::size_t>(offsets_[row + 1] - offsets_[row]));
  }

  // The buffers themselves (only the type's are non-empty).
  // Validity: bit (row % 8) of byte row / 8 is set when the row is not
  // null; empty when null_count() is 0.
  std::span<const std::uint8_t> validity() const { return validity_; }
  std::span<const std::int64_t> integers() const { return integers_; }  // int64, timestamp
  std::span<const double> doubles() const { return doubles_; }
  std::span<const std::uint8_t> bools() const { return bools_; }  // one byte (0/1) a row
  // String row i is bytes()[offsets()[i], offsets()[i + 1]); size() + 1 offsets.
  std::string_view bytes() const { return bytes_; }
  std::span<const std::int64_t> offsets() const { return offsets_; }

 private:
  friend class ColumnBuilder;
  std::string name_;
  ColumnType type_ = ColumnType::kString;
  std::size_t size_ = 0;
  std::size_t null_count_ = 0;
  std::vector<std::uint8_t> validity_;
  std::vector<std::int64_t> integers_;
  std::vector<double> doubles_;
  std::vector<std::uint8_t> bools_;
  std::string bytes_;
  std::vector<std::int64_t> offsets_;
};

// Appends rows to one column. Append the value kind of the column's type
// (AppendInt64 also serves kTimestamp); appending another is a bug and is
// ignored in release builds, asserted in debug ones.
class ColumnBuilder {
 public:
  ColumnBuilder(std::string name, ColumnType type);

  void Reserve(std::size_t rows);
  void AppendNull();
  void AppendInt64(std::int64_t value);  // kInt64, kTimestamp
  void AppendDouble(double value);
  void AppendBool(bool value);
  void AppendString(std::string_view value);

  std::size_t size() const { return column_.size_; }
  ColumnType type() const { return column_.type_; }
  // The built column; the builder is left empty.
  Column Finish() &&;

 private:
  void MarkValid(bool valid);
  Column column_;
};

class Table {
 public:
  Table() = default;
  // Fails (InvalidArgument) when the columns' lengths differ or two
  // columns share a name.
  static absl::StatusOr<Table> Make(std::vector<Column> columns);

  std::size_t num_rows() const { return num_rows_; }
  std::size_t num_columns() const { return columns_.size(); }
  const Column& column(std::size_t i) const { return columns_[i]; }
  const std::vector<Column>& columns() const { return columns_; }
  // The column named `name`, or nullptr.
  const Column* Find(std::string_view name) const;

 private:
  std::vector<Column> columns_;
  std::size_t num_rows_ = 0;
};

}  // namespace sluice::data
