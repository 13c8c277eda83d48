#include "data/table.h"

#include <bit>
#include <cassert>
#include <unordered_set>
#include <utility>

#include "util/strings.h"

namespace sluice::data {

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kInt64:
      return "int64";
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kBool:
      return "bool";
    case ColumnType::kString:
      return "string";
    case ColumnType::kTimestamp:
      return "timestamp";
  }
  return "unknown";
}

std::size_t ValueWidth(ColumnType type) {
  switch (type) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      return sizeof(std::int64_t);
    case ColumnType::kDouble:
      return sizeof(double);
    case ColumnType::kBool:
      return 1;
    case ColumnType::kString:
      return 0;
  }
  return 0;
}

namespace {

// The nulls among the first `rows` bits of `validity` (empty: none).
absl::StatusOr<std::size_t> CountNulls(const Column& column, std::size_t rows,
                                       const Buffer& validity) {
  if (validity.empty()) return 0;
  // rows / 8 rounded up, written so that no row count (a decoded one may be
  // anything) wraps around.
  if (validity.size() < rows / 8 + (rows % 8 != 0 ? 1 : 0)) {
    return absl::InvalidArgumentError(StrCat("column '", column.name(), "': a validity bitmap of ",
                                             validity.size(), " bytes for ", rows, " rows"));
  }
  const std::uint8_t* bits = validity.as<std::uint8_t>().data();
  std::size_t valid = 0;
  for (std::size_t i = 0; i < rows / 8; ++i) valid += std::popcount(bits[i]);
  if (rows % 8 != 0) {
    valid += std::popcount(static_cast<std::uint8_t>(bits[rows / 8] & ((1u << (rows % 8)) - 1)));
  }
  return rows - valid;
}

}  // namespace

absl::StatusOr<Column> Column::Make(std::string name, ColumnType type, std::size_t size,
                                    Buffer values, Buffer validity) {
  Column column;
  column.name_ = std::move(name);
  column.type_ = type;
  column.size_ = size;
  std::size_t width = ValueWidth(type);
  if (type == ColumnType::kString) {
    return absl::InvalidArgumentError(
        StrCat("column '", column.name_, "': string columns are made by MakeStrings"));
  }
  if (size > values.size() / width) {
    return absl::InvalidArgumentError(StrCat("column '", column.name_, "': ", values.size(),
                                             " bytes of values for ", size, " rows"));
  }
  absl::StatusOr<std::size_t> nulls = CountNulls(column, size, validity);
  if (!nulls.ok()) return nulls.status();
  column.values_ = values.Prefix(size * width);
  column.null_count_ = *nulls;
  if (*nulls != 0) column.validity_ = std::move(validity);
  return column;
}

absl::StatusOr<Column> Column::MakeStrings(std::string name, std::size_t size, Buffer offsets,
                                           Buffer bytes, Buffer validity) {
  Column column;
  column.name_ = std::move(name);
  column.type_ = ColumnType::kString;
  column.size_ = size;
  // Not `< size + 1`: a decoded size may be the largest there is.
  if (offsets.size() / sizeof(std::int64_t) <= size) {
    return absl::InvalidArgumentError(StrCat("column '", column.name_, "': ", offsets.size(),
                                             " bytes of offsets for ", size, " rows"));
  }
  std::span<const std::int64_t> at = offsets.as<std::int64_t>().first(size + 1);
  std::int64_t previous = 0;
  if (at[0] != 0) {
    return absl::InvalidArgumentError(
        StrCat("column '", column.name_, "': offsets start at ", at[0]));
  }
  for (std::int64_t offset : at) {
    if (offset < previous) {
      return absl::InvalidArgumentError(StrCat("column '", column.name_, "': offsets decrease"));
    }
    previous = offset;
  }
  if (static_cast<std::uint64_t>(previous) > bytes.size()) {
    return absl::InvalidArgumentError(StrCat("column '", column.name_, "': offsets run to ",
                                             previous, " in ", bytes.size(), " bytes"));
  }
  absl::StatusOr<std::size_t> nulls = CountNulls(column, size, validity);
  if (!nulls.ok()) return nulls.status();
  column.offsets_ = offsets.Prefix((size + 1) * sizeof(std::int64_t));
  column.bytes_ = bytes.Prefix(static_cast<std::size_t>(previous));
  column.null_count_ = *nulls;
  if (*nulls != 0) column.validity_ = std::move(validity);
  return column;
}

ColumnBuilder::ColumnBuilder(std::string name, ColumnType type)
    : name_(std::move(name)), type_(type) {
  if (type == ColumnType::kString) offsets_.push_back(0);
}

void ColumnBuilder::Reserve(std::size_t rows) {
  switch (type_) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      integers_.reserve(rows);
      break;
    case ColumnType::kDouble:
      doubles_.reserve(rows);
      break;
    case ColumnType::kBool:
      bools_.reserve(rows);
      break;
    case ColumnType::kString:
      offsets_.reserve(rows + 1);
      break;
  }
}

// The bitmap is only materialised at the first null: a column without
// nulls carries none (Arrow does the same).
void ColumnBuilder::MarkValid(bool valid) {
  std::size_t row = size_++;
  if (valid && null_count_ == 0) return;
  if (!valid && null_count_ == 0) {
    validity_.assign((row + 8) / 8, 0xff);
  }
  if (validity_.size() < row / 8 + 1) validity_.push_back(0xff);
  if (!valid) {
    validity_[row / 8] &= static_cast<std::uint8_t>(~(1u << (row % 8)));
    ++null_count_;
  }
}

void ColumnBuilder::AppendNull() {
  switch (type_) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      integers_.push_back(0);
      break;
    case ColumnType::kDouble:
      doubles_.push_back(0);
      break;
    case ColumnType::kBool:
      bools_.push_back(0);
      break;
    case ColumnType::kString:
      offsets_.push_back(static_cast<std::int64_t>(bytes_.size()));
      break;
  }
  MarkValid(false);
}

void ColumnBuilder::AppendInt64(std::int64_t value) {
  assert(type_ == ColumnType::kInt64 || type_ == ColumnType::kTimestamp);
  integers_.push_back(value);
  MarkValid(true);
}

void ColumnBuilder::AppendDouble(double value) {
  assert(type_ == ColumnType::kDouble);
  doubles_.push_back(value);
  MarkValid(true);
}

void ColumnBuilder::AppendBool(bool value) {
  assert(type_ == ColumnType::kBool);
  bools_.push_back(value ? 1 : 0);
  MarkValid(true);
}

void ColumnBuilder::AppendString(std::string_view value) {
  assert(type_ == ColumnType::kString);
  bytes_.append(value);
  offsets_.push_back(static_cast<std::int64_t>(bytes_.size()));
  MarkValid(true);
}

Column ColumnBuilder::Finish() && {
  Column done;
  done.name_ = std::move(name_);
  done.type_ = type_;
  done.size_ = size_;
  done.null_count_ = null_count_;
  if (null_count_ != 0) done.validity_ = Buffer::FromVector(std::move(validity_));
  switch (type_) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      done.values_ = Buffer::FromVector(std::move(integers_));
      break;
    case ColumnType::kDouble:
      done.values_ = Buffer::FromVector(std::move(doubles_));
      break;
    case ColumnType::kBool:
      done.values_ = Buffer::FromVector(std::move(bools_));
      break;
    case ColumnType::kString:
      done.offsets_ = Buffer::FromVector(std::move(offsets_));
      done.bytes_ = Buffer::FromString(std::move(bytes_));
      break;
  }
  *this = ColumnBuilder(std::string(), type_);
  return done;
}

absl::StatusOr<Table> Table::Make(std::vector<Column> columns) {
  Table table;
  std::unordered_set<std::string_view> names;
  for (const Column& column : columns) {
    if (!names.insert(column.name()).second) {
      return absl::InvalidArgumentError(StrCat("two columns are named '", column.name(), "'"));
    }
    if (column.size() != columns.front().size()) {
      return absl::InvalidArgumentError(StrCat("column '", column.name(), "' has ", column.size(),
                                               " rows, column '", columns.front().name(), "' has ",
                                               columns.front().size()));
    }
  }
  table.num_rows_ = columns.empty() ? 0 : columns.front().size();
  table.columns_ = std::move(columns);
  return table;
}

const Column* Table::Find(std::string_view name) const {
  for (const Column& column : columns_) {
    if (column.name() == name) return &column;
  }
  return nullptr;
}

}  // namespace sluice::data
