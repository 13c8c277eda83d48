#include "data/table.h"

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

ColumnBuilder::ColumnBuilder(std::string name, ColumnType type) {
  column_.name_ = std::move(name);
  column_.type_ = type;
  if (type == ColumnType::kString) column_.offsets_.push_back(0);
}

void ColumnBuilder::Reserve(std::size_t rows) {
  switch (column_.type_) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      column_.integers_.reserve(rows);
      break;
    case ColumnType::kDouble:
      column_.doubles_.reserve(rows);
      break;
    case ColumnType::kBool:
      column_.bools_.reserve(rows);
      break;
    case ColumnType::kString:
      column_.offsets_.reserve(rows + 1);
      break;
  }
}

// The bitmap is only materialised at the first null: a column without
// nulls carries none (Arrow does the same).
void ColumnBuilder::MarkValid(bool valid) {
  std::size_t row = column_.size_++;
  if (valid && column_.null_count_ == 0) return;
  if (!valid && column_.null_count_ == 0) {
    column_.validity_.assign((row + 8) / 8, 0xff);
  }
  if (column_.validity_.size() < row / 8 + 1) column_.validity_.push_back(0xff);
  if (!valid) {
    column_.validity_[row / 8] &= static_cast<std::uint8_t>(~(1u << (row % 8)));
    ++column_.null_count_;
  }
}

void ColumnBuilder::AppendNull() {
  switch (column_.type_) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      column_.integers_.push_back(0);
      break;
    case ColumnType::kDouble:
      column_.doubles_.push_back(0);
      break;
    case ColumnType::kBool:
      column_.bools_.push_back(0);
      break;
    case ColumnType::kString:
      column_.offsets_.push_back(static_cast<std::int64_t>(column_.bytes_.size()));
      break;
  }
  MarkValid(false);
}

void ColumnBuilder::AppendInt64(std::int64_t value) {
  assert(column_.type_ == ColumnType::kInt64 || column_.type_ == ColumnType::kTimestamp);
  column_.integers_.push_back(value);
  MarkValid(true);
}

void ColumnBuilder::AppendDouble(double value) {
  assert(column_.type_ == ColumnType::kDouble);
  column_.doubles_.push_back(value);
  MarkValid(true);
}

void ColumnBuilder::AppendBool(bool value) {
  assert(column_.type_ == ColumnType::kBool);
  column_.bools_.push_back(value ? 1 : 0);
  MarkValid(true);
}

void ColumnBuilder::AppendString(std::string_view value) {
  assert(column_.type_ == ColumnType::kString);
  column_.bytes_.append(value);
  column_.offsets_.push_back(static_cast<std::int64_t>(column_.bytes_.size()));
  MarkValid(true);
}

Column ColumnBuilder::Finish() && {
  Column done = std::move(column_);
  column_ = Column();
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
