#include "data/frame_ops.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "util/strings.h"

namespace sluice::data {
namespace {

// The first `n` rows of `column`, on its own buffers.
Column Prefix(const Column& column, std::size_t n) {
  Buffer validity = column.null_count() == 0 ? Buffer() : column.validity_buffer();
  absl::StatusOr<Column> prefix =
      column.type() == ColumnType::kString
          ? Column::MakeStrings(column.name(), n, column.offsets_buffer(), column.bytes_buffer(),
                                std::move(validity))
          : Column::Make(column.name(), column.type(), n, column.values_buffer(),
                         std::move(validity));
  return *std::move(prefix);  // a prefix of a valid column is valid
}

template <class T>
Buffer Gather(std::span<const T> values, std::span<const std::uint64_t> rows) {
  std::vector<T> out(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) out[i] = values[static_cast<std::size_t>(rows[i])];
  return Buffer::FromVector(std::move(out));
}

}  // namespace

Table Head(const Table& table, std::size_t n) {
  n = std::min(n, table.num_rows());
  std::vector<Column> columns;
  columns.reserve(table.num_columns());
  for (const Column& column : table.columns()) columns.push_back(Prefix(column, n));
  return *Table::Make(std::move(columns));  // same names, equal lengths
}

absl::StatusOr<Column> TakeRows(const Column& column, std::span<const std::uint64_t> rows) {
  for (std::uint64_t row : rows) {
    if (row >= column.size()) {
      return absl::OutOfRangeError(StrCat("row ", row, " of column '", column.name(),
                                          "', which has ", column.size(), " rows"));
    }
  }
  Buffer validity;
  if (column.null_count() != 0) {
    std::vector<std::uint8_t> bits((rows.size() + 7) / 8, 0);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (!column.is_null(static_cast<std::size_t>(rows[i]))) bits[i / 8] |= 1u << (i % 8);
    }
    validity = Buffer::FromVector(std::move(bits));
  }
  switch (column.type()) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      return Column::Make(column.name(), column.type(), rows.size(),
                          Gather(column.integers(), rows), std::move(validity));
    case ColumnType::kDouble:
      return Column::Make(column.name(), column.type(), rows.size(), Gather(column.doubles(), rows),
                          std::move(validity));
    case ColumnType::kBool:
      return Column::Make(column.name(), column.type(), rows.size(), Gather(column.bools(), rows),
                          std::move(validity));
    case ColumnType::kString: {
      std::vector<std::int64_t> offsets;
      offsets.reserve(rows.size() + 1);
      offsets.push_back(0);
      std::string bytes;
      for (std::uint64_t row : rows) {
        bytes.append(column.string(static_cast<std::size_t>(row)));
        offsets.push_back(static_cast<std::int64_t>(bytes.size()));
      }
      return Column::MakeStrings(column.name(), rows.size(), Buffer::FromVector(std::move(offsets)),
                                 Buffer::FromString(std::move(bytes)), std::move(validity));
    }
  }
  return absl::InternalError("unknown column type");
}

absl::StatusOr<Table> TakeRows(const Table& table, std::span<const std::uint64_t> rows) {
  std::vector<Column> columns;
  columns.reserve(table.num_columns());
  for (const Column& column : table.columns()) {
    absl::StatusOr<Column> taken = TakeRows(column, rows);
    if (!taken.ok()) return taken.status();
    columns.push_back(*std::move(taken));
  }
  if (columns.empty()) {
    for (std::uint64_t row : rows) {
      if (row >= table.num_rows()) {
        return absl::OutOfRangeError(StrCat("row ", row, " of a table of ", table.num_rows()));
      }
    }
  }
  return Table::Make(std::move(columns));
}

absl::StatusOr<Table> Filter(const Table& table, std::span<const bool> mask) {
  if (mask.size() != table.num_rows()) {
    return absl::InvalidArgumentError(
        StrCat("a mask of ", mask.size(), " rows for a table of ", table.num_rows(), " rows"));
  }
  std::vector<std::uint64_t> rows;
  for (std::size_t row = 0; row < mask.size(); ++row) {
    if (mask[row]) rows.push_back(row);
  }
  return TakeRows(table, rows);
}

bool Equal(const Column& a, const Column& b) {
  if (a.name() != b.name() || a.type() != b.type() || a.size() != b.size() ||
      a.null_count() != b.null_count()) {
    return false;
  }
  for (std::size_t row = 0; row < a.size(); ++row) {
    if (a.is_null(row) != b.is_null(row)) return false;
    if (a.is_null(row)) continue;
    bool same = true;
    switch (a.type()) {
      case ColumnType::kInt64:
      case ColumnType::kTimestamp:
        same = a.int64(row) == b.int64(row);
        break;
      case ColumnType::kDouble:
        same = a.float64(row) == b.float64(row) ||
               (std::isnan(a.float64(row)) && std::isnan(b.float64(row)));
        break;
      case ColumnType::kBool:
        same = a.boolean(row) == b.boolean(row);
        break;
      case ColumnType::kString:
        same = a.string(row) == b.string(row);
        break;
    }
    if (!same) return false;
  }
  return true;
}

bool Equal(const Table& a, const Table& b) {
  if (a.num_rows() != b.num_rows() || a.num_columns() != b.num_columns()) return false;
  for (std::size_t i = 0; i < a.num_columns(); ++i) {
    if (!Equal(a.column(i), b.column(i))) return false;
  }
  return true;
}

namespace {

bool SameBuffer(const Buffer& a, const Buffer& b) {
  return a.data() == b.data() && a.size() == b.size();
}

}  // namespace

bool SameBuffers(const Table& a, const Table& b) {
  if (a.num_rows() != b.num_rows() || a.num_columns() != b.num_columns()) return false;
  for (std::size_t c = 0; c < a.num_columns(); ++c) {
    const Column& x = a.column(c);
    const Column& y = b.column(c);
    if (x.name() != y.name() || x.type() != y.type() || x.size() != y.size() ||
        !SameBuffer(x.values_buffer(), y.values_buffer()) ||
        !SameBuffer(x.validity_buffer(), y.validity_buffer()) ||
        !SameBuffer(x.offsets_buffer(), y.offsets_buffer()) ||
        !SameBuffer(x.bytes_buffer(), y.bytes_buffer())) {
      return false;
    }
  }
  return true;
}

}  // namespace sluice::data
