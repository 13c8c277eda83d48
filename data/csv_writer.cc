#include "data/csv_writer.h"

#include <charconv>
#include <string_view>

#include "data/timestamp.h"

namespace sluice::data {
namespace {

class FieldWriter {
 public:
  FieldWriter(const CsvOptions& options, std::string& out) : options_(options), out_(out) {
    needs_quotes_[static_cast<unsigned char>(options.delimiter)] = true;
    needs_quotes_[static_cast<unsigned char>(options.quote)] = true;
    needs_quotes_['\r'] = true;
    needs_quotes_['\n'] = true;
  }

  // `text` as one field, quoted when reading it back unquoted would change it.
  void Write(std::string_view text) {
    bool quote = text.empty() || text.starts_with("\xEF\xBB\xBF");
    for (char c : text) {
      if (quote) break;
      quote = needs_quotes_[static_cast<unsigned char>(c)];
    }
    for (const std::string& null : options_.null_values) {
      if (quote) break;
      quote = text == null;
    }
    if (!quote) {
      out_.append(text);
      return;
    }
    out_.push_back(options_.quote);
    for (char c : text) {
      if (c == options_.quote) out_.push_back(c);
      out_.push_back(c);
    }
    out_.push_back(options_.quote);
  }

  void WriteNull() {
    if (!options_.null_values.empty()) out_.append(options_.null_values.front());
  }

 private:
  const CsvOptions& options_;
  std::string& out_;
  bool needs_quotes_[256] = {};
};

void AppendDouble(double value, std::string& out) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string_view text(buffer, static_cast<std::size_t>(end - buffer));
  out.append(text);
  if (text.find_first_not_of("-0123456789") == std::string_view::npos) out.append(".0");
}

}  // namespace

std::string WriteCsv(const Table& table, const CsvOptions& options) {
  std::string out;
  FieldWriter fields(options, out);
  std::string scratch;
  if (options.header && table.num_columns() > 0) {
    for (std::size_t c = 0; c < table.num_columns(); ++c) {
      if (c > 0) out.push_back(options.delimiter);
      fields.Write(table.column(c).name());
    }
    out.push_back('\n');
  }
  for (std::size_t row = 0; row < table.num_rows(); ++row) {
    for (std::size_t c = 0; c < table.num_columns(); ++c) {
      if (c > 0) out.push_back(options.delimiter);
      const Column& column = table.column(c);
      if (column.is_null(row)) {
        fields.WriteNull();
        continue;
      }
      scratch.clear();
      switch (column.type()) {
        case ColumnType::kInt64: {
          char buffer[24];
          auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, column.int64(row));
          scratch.assign(buffer, end);
          break;
        }
        case ColumnType::kDouble:
          AppendDouble(column.float64(row), scratch);
          break;
        case ColumnType::kBool:
          scratch = column.boolean(row) ? "true" : "false";
          break;
        case ColumnType::kTimestamp:
          AppendTimestamp(column.timestamp(row), scratch);
          break;
        case ColumnType::kString:
          fields.Write(column.string(row));
          continue;
      }
      fields.Write(scratch);
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace sluice::data
