// A columnar table: named columns, each of one type, with nulls. What the
// CSV reader produces and the writer consumes. The layout follows Arrow's so
// that a column's buffers can later be handed to st::Column without a copy:
// fixed-width values in one vector, strings as one byte buffer plus offsets,
// nulls as a validity bitmap.
//
// A Table is immutable once built (ColumnBuilder::Finish, Column::Make,
// Table::Make); its columns' buffers are shared (data/buffer.h), so copying
// a Column or a Table copies no values. Safe to read from many threads at
// once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "data/buffer.h"

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
  // A column over buffers that already hold its values (no copy). `values`
  // holds `size` values of the type's width (int64_t for kInt64 and
  // kTimestamp, double, one byte 0/1 a row for kBool) on a boundary aligned
  // for it; `validity` is empty (no nulls) or the bitmap described at
  // validity() below, with at least (size + 7) / 8 bytes. Fails
  // (InvalidArgument) when the sizes do not fit; kString columns are made
  // by MakeStrings instead.
  static absl::StatusOr<Column> Make(std::string name, ColumnType type, std::size_t size,
                                     Buffer values, Buffer validity = {});
  // A string column: `offsets` holds size + 1 int64_t offsets into `bytes`,
  // from 0, never decreasing, the last no more than bytes' size (all
  // checked; InvalidArgument otherwise).
  static absl::StatusOr<Column> MakeStrings(std::string name, std::size_t size, Buffer offsets,
                                            Buffer bytes, Buffer validity = {});

  const std::string& name() const { return name_; }
  ColumnType type() const { return type_; }
  std::size_t size() const { return size_; }
  std::size_t null_count() const { return null_count_; }

  // REQUIRES: row < size(). A null row's value is 0 / false / "".
  bool is_null(std::size_t row) const {
    return null_count_ != 0 &&
           (validity_.data()[row / 8] & std::byte(1u << (row % 8))) == std::byte{0};
  }
  // REQUIRES: the column's type (timestamp() for kTimestamp).
  std::int64_t int64(std::size_t row) const { return Values<std::int64_t>()[row]; }
  std::int64_t timestamp(std::size_t row) const { return Values<std::int64_t>()[row]; }
  double float64(std::size_t row) const { return Values<double>()[row]; }
  bool boolean(std::size_t row) const { return Values<std::uint8_t>()[row] != 0; }
  std::string_view string(std::size_t row) const {
    const std::int64_t* offsets = offsets_.as<std::int64_t>().data();
    return std::string_view(reinterpret_cast<const char*>(bytes_.data()) + offsets[row],
                            static_cast<std::size_t>(offsets[row + 1] - offsets[row]));
  }

  // The buffers themselves (only the type's are non-empty).
  // Validity: bit (row % 8) of byte row / 8 is set when the row is not
  // null; empty when null_count() is 0.
  std::span<const std::uint8_t> validity() const {
    return null_count_ == 0 ? std::span<const std::uint8_t>()
                            : validity_.as<std::uint8_t>().first((size_ + 7) / 8);
  }
  std::span<const std::int64_t> integers() const {  // int64, timestamp
    return Is(ColumnType::kInt64) || Is(ColumnType::kTimestamp) ? Span<std::int64_t>()
                                                                : std::span<const std::int64_t>();
  }
  std::span<const double> doubles() const {
    return Is(ColumnType::kDouble) ? Span<double>() : std::span<const double>();
  }
  std::span<const std::uint8_t> bools() const {  // one byte (0/1) a row
    return Is(ColumnType::kBool) ? Span<std::uint8_t>() : std::span<const std::uint8_t>();
  }
  // String row i is bytes()[offsets()[i], offsets()[i + 1]); size() + 1 offsets.
  std::string_view bytes() const {
    return std::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
  }
  std::span<const std::int64_t> offsets() const { return offsets_.as<std::int64_t>(); }

  // The shared buffers, for code that hands them on without copying (a
  // cache encoding, a slice). Empty where the type has none.
  const Buffer& values_buffer() const { return values_; }
  const Buffer& validity_buffer() const { return validity_; }
  const Buffer& offsets_buffer() const { return offsets_; }
  const Buffer& bytes_buffer() const { return bytes_; }

 private:
  friend class ColumnBuilder;
  bool Is(ColumnType type) const { return type_ == type; }
  template <class T>
  const T* Values() const {
    return reinterpret_cast<const T*>(values_.data());
  }
  template <class T>
  std::span<const T> Span() const {
    return {Values<T>(), size_};
  }

  std::string name_;
  ColumnType type_ = ColumnType::kString;
  std::size_t size_ = 0;
  std::size_t null_count_ = 0;
  Buffer validity_;
  Buffer values_;   // int64, timestamp, double, bool
  Buffer offsets_;  // string
  Buffer bytes_;    // string
};

// The width in bytes of one value of a fixed-width type (0 for kString).
std::size_t ValueWidth(ColumnType type);

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

  std::size_t size() const { return size_; }
  ColumnType type() const { return type_; }
  // The built column, which takes the builder's vectors over (no copy);
  // the builder is left empty.
  Column Finish() &&;

 private:
  void MarkValid(bool valid);
  std::string name_;
  ColumnType type_;
  std::size_t size_ = 0;
  std::size_t null_count_ = 0;
  std::vector<std::uint8_t> validity_;
  std::vector<std::int64_t> integers_;
  std::vector<double> doubles_;
  std::vector<std::uint8_t> bools_;
  std::string bytes_;
  std::vector<std::int64_t> offsets_;
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
