#include "data/csv_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "data/timestamp.h"
#include "util/strings.h"

namespace sluice::data {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

struct Field {
  std::string_view text;  // unescaped; valid until the next Scanner::Next
  bool quoted;
  std::size_t line;  // where the field starts
};

absl::Status SyntaxError(std::size_t line, std::size_t column, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("line ", line, ", column ", column, ": ", what));
}

// Splits the input into records of fields, one record per Next(). Unquoted
// fields and quoted ones without doubled quotes are views of the input; the
// others are unescaped into buffers the scanner reuses.
class Scanner {
 public:
  Scanner(std::string_view input, char delimiter, char quote)
      : input_(input), delimiter_(delimiter), quote_(quote) {
    for (unsigned char c :
         {static_cast<unsigned char>(delimiter), static_cast<unsigned char>(quote),
          static_cast<unsigned char>('\r'), static_cast<unsigned char>('\n')}) {
      stops_[c] = true;
    }
  }

  // Reads the next record into `fields`; false at the end of the input.
  absl::StatusOr<bool> Next(std::vector<Field>& fields) {
    fields.clear();
    const std::size_t end = input_.size();
    if (at_ >= end) return false;
    for (std::size_t column = 1;; ++column) {
      const std::size_t line = line_;
      if (at_ < end && input_[at_] == quote_) {
        absl::StatusOr<std::string_view> text = Quoted(column);
        if (!text.ok()) return text.status();
        fields.push_back({*text, true, line});
        if (at_ < end && input_[at_] != delimiter_ && input_[at_] != '\n' && input_[at_] != '\r') {
          return SyntaxError(line_, column,
                             "text after a quoted field's closing quote (a quote inside a "
                             "quoted field is written twice)");
        }
      } else {
        const std::size_t start = at_;
        while (at_ < end && !stops_[static_cast<unsigned char>(input_[at_])]) ++at_;
        if (at_ < end && input_[at_] == quote_) {
          return SyntaxError(line, column,
                             "a quote inside an unquoted field (quote the whole field and write "
                             "the quote twice)");
        }
        fields.push_back({input_.substr(start, at_ - start), false, line});
      }
      if (at_ >= end) return true;
      const char c = input_[at_++];
      if (c == delimiter_) continue;
      if (c == '\r' && at_ < end && input_[at_] == '\n') ++at_;
      ++line_;
      return true;
    }
  }

  // Where the next record starts, to come back to it with Rewind.
  std::pair<std::size_t, std::size_t> Position() const { return {at_, line_}; }
  void Rewind(std::pair<std::size_t, std::size_t> position) {
    at_ = position.first;
    line_ = position.second;
  }

 private:
  // REQUIRES: input_[at_] is the opening quote. Leaves at_ past the closing one.
  absl::StatusOr<std::string_view> Quoted(std::size_t column) {
    const std::size_t line = line_;
    const std::size_t end = input_.size();
    std::size_t segment = ++at_;
    std::string* unescaped = nullptr;
    for (;;) {
      const void* found = std::memchr(input_.data() + at_, quote_, end - at_);
      if (found == nullptr) {
        at_ = end;
        return SyntaxError(line, column, "a quoted field is never closed");
      }
      const std::size_t close = static_cast<const char*>(found) - input_.data();
      CountLines(at_, close);
      if (close + 1 < end && input_[close + 1] == quote_) {
        if (unescaped == nullptr) {
          // A deque: growing it does not move the buffers earlier fields view.
          while (unescaped_.size() < column) unescaped_.emplace_back();
          unescaped = &unescaped_[column - 1];
          unescaped->clear();
        }
        unescaped->append(input_.substr(segment, close + 1 - segment));
        at_ = segment = close + 2;
        continue;
      }
      at_ = close + 1;
      if (unescaped == nullptr) return input_.substr(segment, close - segment);
      unescaped->append(input_.substr(segment, close - segment));
      return std::string_view(*unescaped);
    }
  }

  // Line ends inside a quoted field still count for the lines errors name.
  void CountLines(std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      if (input_[i] == '\n' ||
          (input_[i] == '\r' && (i + 1 >= input_.size() || input_[i + 1] != '\n'))) {
        ++line_;
      }
    }
  }

  std::string_view input_;
  char delimiter_;
  char quote_;
  bool stops_[256] = {};
  std::size_t at_ = 0;
  std::size_t line_ = 1;
  std::deque<std::string> unescaped_;
};

// What a column's non-null values so far allow it to be.
struct Inference {
  bool int64 = true;
  bool float64 = true;
  bool boolean = true;
  bool timestamp = true;
  std::size_t values = 0;

  bool AnyLeft() const { return int64 || float64 || boolean || timestamp; }
  ColumnType Type() const {
    if (values == 0) return ColumnType::kString;
    if (int64) return ColumnType::kInt64;
    if (float64) return ColumnType::kDouble;
    if (boolean) return ColumnType::kBool;
    if (timestamp) return ColumnType::kTimestamp;
    return ColumnType::kString;
  }
};

enum class IntParse { kOk, kOutOfRange, kNotAnInteger };

IntParse ParseInt64(std::string_view text, std::int64_t* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  if (ptr != end || text.empty()) return IntParse::kNotAnInteger;
  if (ec == std::errc::result_out_of_range) return IntParse::kOutOfRange;
  return ec == std::errc() ? IntParse::kOk : IntParse::kNotAnInteger;
}

bool ParseDouble(std::string_view text, double* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value, std::chars_format::general);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool EqualsIgnoringCase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

std::optional<bool> ParseBool(std::string_view text) {
  if (EqualsIgnoringCase(text, "true")) return true;
  if (EqualsIgnoringCase(text, "false")) return false;
  return std::nullopt;
}

void Infer(std::string_view text, Inference& inference) {
  ++inference.values;
  bool is_int = false;
  bool is_double = false;
  if (inference.int64 || inference.float64) {
    std::int64_t ignored;
    switch (ParseInt64(text, &ignored)) {
      case IntParse::kOk:
        is_int = true;
        break;
      case IntParse::kOutOfRange:
        inference = Inference{false, false, false, false, inference.values};
        return;
      case IntParse::kNotAnInteger:
        double unused;
        is_double = inference.float64 && ParseDouble(text, &unused);
        break;
    }
  }
  inference.int64 &= is_int;
  inference.float64 &= is_int || is_double;
  if (inference.boolean) inference.boolean = ParseBool(text).has_value();
  if (inference.timestamp) inference.timestamp = ParseTimestamp(text).has_value();
}

std::string Quote(std::string_view text) {
  constexpr std::size_t kShown = 40;
  if (text.size() <= kShown) return StrCat("'", text, "'");
  return StrCat("'", text.substr(0, kShown), "...'");
}

absl::Status ValueError(const Field& field, std::size_t column, std::string_view name,
                        std::string_view what) {
  return absl::InvalidArgumentError(StrCat("line ", field.line, ", column ", column, " (", name,
                                           "): ", Quote(field.text), " is not ", what));
}

// Appends one non-null field to its column, or says why it cannot.
absl::Status Append(const Field& field, std::size_t column, std::string_view name,
                    ColumnBuilder& builder) {
  const std::string_view text = field.text;
  switch (builder.type()) {
    case ColumnType::kInt64: {
      std::int64_t value;
      switch (ParseInt64(text, &value)) {
        case IntParse::kOk:
          builder.AppendInt64(value);
          return absl::OkStatus();
        case IntParse::kOutOfRange:
          return ValueError(field, column, name, "an int64 (out of range)");
        case IntParse::kNotAnInteger:
          return ValueError(field, column, name, "an int64");
      }
      break;
    }
    case ColumnType::kDouble: {
      double value;
      if (!ParseDouble(text, &value)) return ValueError(field, column, name, "a double");
      builder.AppendDouble(value);
      return absl::OkStatus();
    }
    case ColumnType::kBool: {
      std::optional<bool> value = ParseBool(text);
      if (!value) return ValueError(field, column, name, "a bool (true or false)");
      builder.AppendBool(*value);
      return absl::OkStatus();
    }
    case ColumnType::kTimestamp: {
      std::optional<std::int64_t> value = ParseTimestamp(text);
      if (!value) {
        return ValueError(field, column, name,
                          "a timestamp (ISO 8601: 2024-01-31, 2024-01-31T12:00:00Z, ...)");
      }
      builder.AppendInt64(*value);
      return absl::OkStatus();
    }
    case ColumnType::kString:
      builder.AppendString(text);
      return absl::OkStatus();
  }
  return absl::InternalError("unknown column type");
}

// Which unquoted fields are null.
class NullValues {
 public:
  explicit NullValues(const std::vector<std::string>& values) {
    for (const std::string& value : values) {
      if (value.empty()) {
        empty_ = true;
      } else {
        others_.push_back(value);
      }
    }
  }
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

// Reads the records after the header, skipping blank lines where they are
// not records, and checks each has the header's field count.
class Records {
 public:
  Records(Scanner& scanner, std::size_t columns, bool header, std::size_t max_rows)
      : scanner_(scanner), columns_(columns), header_(header), max_rows_(max_rows) {}

  absl::StatusOr<bool> Next(std::vector<Field>& fields) {
    for (;;) {
      if (max_rows_ != 0 && rows_ == max_rows_) return false;
      absl::StatusOr<bool> more = scanner_.Next(fields);
      if (!more.ok() || !*more) return more;
      if (columns_ > 1 && fields.size() == 1 && !fields[0].quoted && fields[0].text.empty()) {
        continue;  // a blank line
      }
      if (fields.size() != columns_) {
        std::string what = StrCat("a record of ", fields.size(), " fields, but the ",
                                  header_ ? "header" : "first record", " has ", columns_);
        if (fields.size() > columns_) return SyntaxError(fields[columns_].line, columns_ + 1, what);
        return absl::InvalidArgumentError(StrCat("line ", fields[0].line, ": ", what));
      }
      ++rows_;
      return true;
    }
  }

 private:
  Scanner& scanner_;
  std::size_t columns_;
  bool header_;
  std::size_t max_rows_;
  std::size_t rows_ = 0;
};

absl::Status CheckOptions(const CsvOptions& options) {
  auto line_end = [](char c) { return c == '\r' || c == '\n'; };
  if (options.delimiter == options.quote || line_end(options.delimiter) ||
      line_end(options.quote)) {
    return absl::InvalidArgumentError(
        "the CSV delimiter and quote must differ and be neither '\\r' nor '\\n'");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Table> ReadCsv(std::string_view bytes, const CsvOptions& options) {
  if (absl::Status status = CheckOptions(options); !status.ok()) return status;
  if (bytes.starts_with(kByteOrderMark)) bytes.remove_prefix(kByteOrderMark.size());
  Scanner scanner(bytes, options.delimiter, options.quote);
  std::vector<Field> fields;

  // The column names: the header's, or numbers after the first record's width.
  const auto first_record = scanner.Position();
  absl::StatusOr<bool> any = scanner.Next(fields);
  if (!any.ok()) return any.status();
  if (!*any) return Table();
  if (!options.header) scanner.Rewind(first_record);
  const std::size_t width = fields.size();
  std::vector<std::string> names;
  std::unordered_set<std::string_view> seen;
  names.reserve(width);
  for (std::size_t i = 0; i < width; ++i) {
    if (options.header && !fields[i].text.empty()) {
      names.emplace_back(fields[i].text);
    } else {
      names.push_back(StrCat("column_", i + 1));
    }
  }
  for (std::size_t i = 0; i < width; ++i) {
    if (!seen.insert(names[i]).second) {
      return SyntaxError(fields[i].line, i + 1,
                         StrCat("the header names column '", names[i], "' twice"));
    }
  }
  std::vector<std::optional<ColumnType>> given(width);
  for (const auto& [name, type] : options.column_types) {
    auto found = std::find(names.begin(), names.end(), name);
    if (found == names.end()) {
      return absl::InvalidArgumentError(
          StrCat("column_types names '", name, "', which is not a column of this file"));
    }
    given[found - names.begin()] = type;
  }
  const NullValues nulls(options.null_values);
  const auto data_start = scanner.Position();

  // Pass 1: each column's type, and the row count to reserve.
  std::vector<Inference> inferences(width);
  std::size_t rows = 0;
  {
    Records records(scanner, width, options.header, options.max_rows);
    for (;;) {
      absl::StatusOr<bool> more = records.Next(fields);
      if (!more.ok()) return more.status();
      if (!*more) break;
      ++rows;
      for (std::size_t i = 0; i < width; ++i) {
        if (given[i] || !inferences[i].AnyLeft() || nulls.Matches(fields[i])) continue;
        Infer(fields[i].text, inferences[i]);
      }
    }
  }

  // Pass 2: the values.
  std::vector<ColumnBuilder> builders;
  builders.reserve(width);
  for (std::size_t i = 0; i < width; ++i) {
    builders.emplace_back(names[i], given[i] ? *given[i] : inferences[i].Type());
    builders.back().Reserve(rows);
  }
  scanner.Rewind(data_start);
  Records records(scanner, width, options.header, options.max_rows);
  for (;;) {
    absl::StatusOr<bool> more = records.Next(fields);
    if (!more.ok()) return more.status();
    if (!*more) break;
    for (std::size_t i = 0; i < width; ++i) {
      if (nulls.Matches(fields[i])) {
        builders[i].AppendNull();
      } else if (absl::Status status = Append(fields[i], i + 1, names[i], builders[i]);
                 !status.ok()) {
        return status;
      }
    }
  }
  std::vector<Column> columns;
  columns.reserve(width);
  for (ColumnBuilder& builder : builders) columns.push_back(std::move(builder).Finish());
  return Table::Make(std::move(columns));
}

absl::StatusOr<Table> ReadCsv(std::span<const std::byte> bytes, const CsvOptions& options) {
  return ReadCsv(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                 options);
}

}  // namespace sluice::data
