// st::DataFrame (sluice/dataframe.hpp): a handle on an immutable
// data::Table; every operation makes a new Table that shares what it can.
#include <cstring>
#include <sluice/dataframe.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "data/frame_ops.h"
#include "data/table.h"
#include "runtime/frame_access.h"
#include "util/strings.h"

namespace st {
namespace {

namespace data = sluice::data;
using sluice::StrCat;

// The validity bitmap for `nulls` (true: null), or an empty buffer when
// there are none.
data::Buffer ValidityOf(const std::string& name, const std::vector<bool>& nulls, std::size_t rows) {
  if (nulls.empty()) return {};
  if (nulls.size() != rows) {
    throw std::invalid_argument(StrCat("st::DataFrame::add: column '", name, "' has ", rows,
                                       " rows but ", nulls.size(), " null flags"));
  }
  std::vector<std::uint8_t> bits((rows + 7) / 8, 0);
  for (std::size_t row = 0; row < rows; ++row) {
    if (!nulls[row]) bits[row / 8] |= static_cast<std::uint8_t>(1u << (row % 8));
  }
  return data::Buffer::FromVector(std::move(bits));
}

data::Column Checked(absl::StatusOr<data::Column> column) {
  if (!column.ok()) throw std::invalid_argument(std::string(column.status().message()));
  return *std::move(column);
}

template <class T>
data::Column Numbers(std::string name, data::ColumnType type, Column<T>& values,
                     const std::vector<bool>& nulls) {
  const T* where = nullptr;
  std::size_t size = 0;
  std::shared_ptr<const void> owner = detail::ColumnStorage::Release(values, &where, &size);
  data::Buffer validity = ValidityOf(name, nulls, size);
  return Checked(data::Column::Make(std::move(name), type, size,
                                    data::Buffer(where, size * sizeof(T), std::move(owner)),
                                    std::move(validity)));
}

const data::Column& Find(const data::Table& table, std::string_view name) {
  const data::Column* column = table.Find(name);
  if (column == nullptr) {
    throw std::out_of_range(StrCat("st::DataFrame: no column named '", name, "'"));
  }
  return *column;
}

}  // namespace

std::string_view to_string(ColumnType type) {
  return data::ColumnTypeName(sluice::runtime::ToData(type));
}

DataFrame::DataFrame() : table_(std::make_shared<const data::Table>()) {}

namespace {

// `frame` with `column` added at the right (the others shared).
std::shared_ptr<const data::Table> WithColumn(const data::Table& table, data::Column column) {
  std::vector<data::Column> columns = table.columns();
  if (!columns.empty() && column.size() != table.num_rows()) {
    throw std::invalid_argument(StrCat("st::DataFrame::add: column '", column.name(), "' has ",
                                       column.size(), " rows, the frame has ", table.num_rows()));
  }
  if (table.Find(column.name()) != nullptr) {
    throw std::invalid_argument(
        StrCat("st::DataFrame::add: the frame already has a column named '", column.name(), "'"));
  }
  columns.push_back(std::move(column));
  absl::StatusOr<data::Table> made = data::Table::Make(std::move(columns));
  if (!made.ok()) throw std::invalid_argument(std::string(made.status().message()));
  return std::make_shared<const data::Table>(*std::move(made));
}

}  // namespace

DataFrame& DataFrame::add(std::string name, Column<std::int64_t> values,
                          const std::vector<bool>& nulls) {
  table_ = WithColumn(*table_, Numbers(std::move(name), data::ColumnType::kInt64, values, nulls));
  mapped_ = false;
  return *this;
}

DataFrame& DataFrame::add(std::string name, Column<double> values, const std::vector<bool>& nulls) {
  table_ = WithColumn(*table_, Numbers(std::move(name), data::ColumnType::kDouble, values, nulls));
  mapped_ = false;
  return *this;
}

DataFrame& DataFrame::add_timestamps(std::string name, Column<std::int64_t> nanoseconds,
                                     const std::vector<bool>& nulls) {
  table_ = WithColumn(*table_,
                      Numbers(std::move(name), data::ColumnType::kTimestamp, nanoseconds, nulls));
  mapped_ = false;
  return *this;
}

DataFrame& DataFrame::add(std::string name, const std::vector<bool>& values,
                          const std::vector<bool>& nulls) {
  std::vector<std::uint8_t> bytes(values.begin(), values.end());
  data::Buffer validity = ValidityOf(name, nulls, values.size());
  table_ = WithColumn(
      *table_,
      Checked(data::Column::Make(std::move(name), data::ColumnType::kBool, values.size(),
                                 data::Buffer::FromVector(std::move(bytes)), std::move(validity))));
  mapped_ = false;
  return *this;
}

DataFrame& DataFrame::add(std::string name, const std::vector<std::string>& values,
                          const std::vector<bool>& nulls) {
  std::vector<std::int64_t> offsets;
  offsets.reserve(values.size() + 1);
  offsets.push_back(0);
  std::string bytes;
  for (const std::string& value : values) {
    bytes += value;
    offsets.push_back(static_cast<std::int64_t>(bytes.size()));
  }
  data::Buffer validity = ValidityOf(name, nulls, values.size());
  table_ = WithColumn(
      *table_, Checked(data::Column::MakeStrings(
                   std::move(name), values.size(), data::Buffer::FromVector(std::move(offsets)),
                   data::Buffer::FromString(std::move(bytes)), std::move(validity))));
  mapped_ = false;
  return *this;
}

std::size_t DataFrame::num_rows() const { return table_->num_rows(); }
std::size_t DataFrame::num_columns() const { return table_->num_columns(); }

std::vector<std::string> DataFrame::column_names() const {
  std::vector<std::string> names;
  names.reserve(table_->num_columns());
  for (const data::Column& column : table_->columns()) names.push_back(column.name());
  return names;
}

bool DataFrame::has_column(std::string_view name) const { return table_->Find(name) != nullptr; }

ColumnType DataFrame::column_type(std::string_view name) const {
  return sluice::runtime::FromData(Find(*table_, name).type());
}

template <class T>
ColumnView<T> DataFrame::View(std::string_view name, ColumnType type) const {
  const data::Column& column = Find(*table_, name);
  if (column.type() != sluice::runtime::ToData(type)) {
    throw std::invalid_argument(StrCat("st::DataFrame: column '", name, "' is ",
                                       data::ColumnTypeName(column.type()), ", not ",
                                       to_string(type)));
  }
  ColumnView<T> view;
  view.size_ = column.size();
  view.null_count_ = column.null_count();
  view.validity_ = column.validity().data();
  view.values_ = column.values_buffer().data();
  view.offsets_ = column.offsets().data();
  view.bytes_ = column.bytes().data();
  return view;
}

ColumnView<std::int64_t> DataFrame::int64s(std::string_view name) const {
  return View<std::int64_t>(name, ColumnType::int64);
}
ColumnView<double> DataFrame::doubles(std::string_view name) const {
  return View<double>(name, ColumnType::float64);
}
ColumnView<bool> DataFrame::bools(std::string_view name) const {
  return View<bool>(name, ColumnType::boolean);
}
ColumnView<std::string_view> DataFrame::strings(std::string_view name) const {
  return View<std::string_view>(name, ColumnType::string);
}
ColumnView<std::int64_t> DataFrame::timestamps(std::string_view name) const {
  return View<std::int64_t>(name, ColumnType::timestamp);
}

bool DataFrame::is_null(std::string_view name, std::size_t row) const {
  const data::Column& column = Find(*table_, name);
  if (row >= column.size()) {
    throw std::out_of_range(StrCat("st::DataFrame::is_null: row ", row, " of column '", name,
                                   "', which has ", column.size(), " rows"));
  }
  return column.is_null(row);
}

DataFrame DataFrame::head(std::size_t n) const {
  return detail::FrameAccess::Make(std::make_shared<const data::Table>(data::Head(*table_, n)),
                                   mapped_);
}

DataFrame DataFrame::filter(std::span<const bool> mask) const {
  absl::StatusOr<data::Table> kept = data::Filter(*table_, mask);
  if (!kept.ok()) {
    throw std::invalid_argument(StrCat("st::DataFrame::filter: ", kept.status().message()));
  }
  return sluice::runtime::FrameOf(std::make_shared<const data::Table>(*std::move(kept)));
}

DataFrame DataFrame::filter(const std::vector<bool>& mask) const {
  std::unique_ptr<bool[]> flags(new bool[mask.size()]);
  for (std::size_t row = 0; row < mask.size(); ++row) flags[row] = mask[row];
  return filter(std::span<const bool>(flags.get(), mask.size()));
}

bool operator==(const DataFrame& a, const DataFrame& b) {
  return a.table_ == b.table_ || data::Equal(*a.table_, *b.table_);
}

}  // namespace st
