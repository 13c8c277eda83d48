// The CSV reader (data/csv_reader.h), as st::read_csv will hand it an
// uploaded file. The first byte picks the options (header, delimiter,
// quote, null spelling, max_rows); the rest is the file. Whatever parses
// must come back the same through WriteCsv and ReadCsv (given the column
// types, which a written file cannot always imply: an all-null column, or
// none of its rows); whatever does not must say where. Read in small
// parts (as CsvOptions::threads does in large ones), it must be the same.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "data/csv_reader.h"
#include "data/csv_writer.h"

namespace {

using sluice::data::Column;
using sluice::data::ColumnType;
using sluice::data::CsvOptions;
using sluice::data::Table;

bool SameValue(const Column& a, const Column& b, std::size_t row) {
  if (a.is_null(row) != b.is_null(row)) return false;
  if (a.is_null(row)) return true;
  switch (a.type()) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      return a.int64(row) == b.int64(row);
    case ColumnType::kDouble: {
      double x = a.float64(row), y = b.float64(row);
      if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
      return x == y && std::signbit(x) == std::signbit(y);
    }
    case ColumnType::kBool:
      return a.boolean(row) == b.boolean(row);
    case ColumnType::kString:
      return a.string(row) == b.string(row);
  }
  return false;
}

bool SameTable(const Table& a, const Table& b) {
  if (a.num_columns() != b.num_columns() || a.num_rows() != b.num_rows()) return false;
  for (std::size_t c = 0; c < a.num_columns(); ++c) {
    const Column& x = a.column(c);
    const Column& y = b.column(c);
    if (x.name() != y.name() || x.type() != y.type()) return false;
    for (std::size_t row = 0; row < a.num_rows(); ++row) {
      if (!SameValue(x, y, row)) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t pick = data[0];
  CsvOptions options;
  options.header = (pick & 1) == 0;
  options.delimiter = ",;\t|"[(pick >> 1) & 3];
  options.quote = (pick & 8) == 0 ? '"' : '\'';
  if ((pick & 16) != 0) options.null_values = {"NA", ""};
  constexpr std::size_t kMaxRows[] = {0, 1, 2, 5};
  options.max_rows = kMaxRows[(pick >> 5) & 3];
  std::string_view csv(reinterpret_cast<const char*>(data + 1), size - 1);

  absl::StatusOr<Table> table = sluice::data::ReadCsv(csv, options);
  // Read again in parts of 1 to 16 bytes (so that splits land inside
  // quoted fields and records), it must be the same table or error.
  absl::StatusOr<Table> parts = sluice::data::ReadCsvInParts(csv, options, 1 + size % 16);
  if (table.ok() != parts.ok()) std::abort();
  if (!table.ok() && table.status().message() != parts.status().message()) std::abort();
  if (table.ok() && !SameTable(*table, *parts)) std::abort();
  if (!table.ok()) {
    std::string_view message(table.status().message().data(), table.status().message().size());
    if (!message.starts_with("line ")) std::abort();
    return 0;
  }
  // Headerless and empty, the file cannot say how many columns there were.
  if (!options.header && table->num_rows() == 0) return 0;

  CsvOptions again = options;
  again.max_rows = 0;
  for (const Column& column : table->columns()) again.column_types[column.name()] = column.type();
  const std::string written = sluice::data::WriteCsv(*table, options);
  absl::StatusOr<Table> back = sluice::data::ReadCsv(written, again);
  if (!back.ok() || !SameTable(*table, *back)) std::abort();
  return 0;
}
