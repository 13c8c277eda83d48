#include "runtime/frame_rows.h"

#include <numeric>
#include <string_view>
#include <vector>

namespace sluice::runtime {

namespace {

// `text` cut to at most kMaxCellBytes without splitting a UTF-8 sequence.
std::string_view Cut(std::string_view text) {
  if (text.size() <= kMaxCellBytes) return text;
  std::size_t end = kMaxCellBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

void FillCells(const data::Column& column, std::span<const std::uint64_t> rows,
               ipc::Cells::Builder cells) {
  const auto n = static_cast<unsigned>(rows.size());
  if (column.null_count() != 0) {
    auto nulls = cells.initNulls(n);
    for (unsigned i = 0; i < n; ++i) nulls.set(i, column.is_null(rows[i]));
  }
  switch (column.type()) {
    case data::ColumnType::kInt64: {
      auto values = cells.initInt64(n);
      for (unsigned i = 0; i < n; ++i) values.set(i, column.int64(rows[i]));
      break;
    }
    case data::ColumnType::kTimestamp: {
      auto values = cells.initTimestamp(n);
      for (unsigned i = 0; i < n; ++i) values.set(i, column.timestamp(rows[i]));
      break;
    }
    case data::ColumnType::kDouble: {
      auto values = cells.initFloat64(n);
      for (unsigned i = 0; i < n; ++i) values.set(i, column.float64(rows[i]));
      break;
    }
    case data::ColumnType::kBool: {
      auto values = cells.initBool(n);
      for (unsigned i = 0; i < n; ++i) values.set(i, column.boolean(rows[i]));
      break;
    }
    case data::ColumnType::kString: {
      auto values = cells.initString(n);
      for (unsigned i = 0; i < n; ++i) {
        std::string_view text = Cut(column.string(rows[i]));
        values.set(i, capnp::Text::Reader(text.data(), text.size()));
      }
      break;
    }
  }
}

}  // namespace

ipc::ColumnType ColumnTypeOf(data::ColumnType type) {
  switch (type) {
    case data::ColumnType::kInt64:
      return ipc::ColumnType::INT64;
    case data::ColumnType::kDouble:
      return ipc::ColumnType::FLOAT64;
    case data::ColumnType::kBool:
      return ipc::ColumnType::BOOL;
    case data::ColumnType::kString:
      return ipc::ColumnType::STRING;
    case data::ColumnType::kTimestamp:
      return ipc::ColumnType::TIMESTAMP;
  }
  return ipc::ColumnType::STRING;
}

void FillColumns(const data::Table& table, capnp::List<ipc::ColumnInfo>::Builder columns) {
  for (unsigned c = 0; c < table.num_columns(); ++c) {
    const data::Column& column = table.column(c);
    columns[c].setName(capnp::Text::Reader(column.name().data(), column.name().size()));
    columns[c].setType(ColumnTypeOf(column.type()));
  }
}

void FillRows(const data::Table& table, std::span<const std::uint64_t> rows, std::uint64_t first,
              ipc::Rows::Builder out) {
  out.setBegin(first);
  auto columns = out.initColumns(static_cast<unsigned>(table.num_columns()));
  for (unsigned c = 0; c < table.num_columns(); ++c) FillCells(table.column(c), rows, columns[c]);
}

void FillRowRange(const data::Table& table, std::uint64_t begin, std::uint64_t count,
                  ipc::Rows::Builder out) {
  std::vector<std::uint64_t> rows(count);
  std::iota(rows.begin(), rows.end(), begin);
  FillRows(table, rows, begin, out);
  out.setSortColumn(-1);
}

void FillAllCells(const data::Table& table, capnp::List<ipc::Cells>::Builder cells) {
  std::vector<std::uint64_t> rows(table.num_rows());
  std::iota(rows.begin(), rows.end(), std::uint64_t{0});
  for (unsigned c = 0; c < table.num_columns(); ++c) FillCells(table.column(c), rows, cells[c]);
}

}  // namespace sluice::runtime
