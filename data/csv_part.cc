#include "data/csv_part.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>
#include <utility>

#include "data/timestamp.h"
#include "fast_float/fast_float.h"
#include "util/strings.h"

namespace sluice::data {
namespace {

enum class IntParse { kOk, kOutOfRange, kNotAnInteger };

IntParse ParseInt64(std::string_view text, std::int64_t* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  if (ptr != end || text.empty()) return IntParse::kNotAnInteger;
  if (ec == std::errc::result_out_of_range) return IntParse::kOutOfRange;
  return ec == std::errc() ? IntParse::kOk : IntParse::kNotAnInteger;
}

// std::from_chars' general format, read by fast_float (inlined, and faster
// than libstdc++'s call). fast_float 3 reports no range errors, so any
// result that is not a normal number (zero, subnormal, infinite, NaN) is
// read again by std::from_chars, whose verdict is the contract.
bool ParseDouble(std::string_view text, double* value) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = fast_float::from_chars(text.data(), end, *value);
  if (ec != std::errc() || ptr != end) return false;
  if (std::isnormal(*value)) return true;
  auto [std_ptr, std_ec] = std::from_chars(text.data(), end, *value, std::chars_format::general);
  return std_ec == std::errc() && std_ptr == end;
}

// A double's text that is an integer outside int64 makes its column a
// string column (long identifiers keep every digit); only texts of 19 or
// more characters can be one.
bool IntegerOutOfRange(std::string_view text) {
  std::int64_t ignored;
  return text.size() >= 19 && ParseInt64(text, &ignored) == IntParse::kOutOfRange;
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

std::string Quote(std::string_view text) {
  constexpr std::size_t kShown = 40;
  if (text.size() <= kShown) return StrCat("'", text, "'");
  return StrCat("'", text.substr(0, kShown), "...'");
}

CsvError ValueError(const Field& field, std::size_t column, std::string_view name,
                    std::string_view what) {
  return {field.line,
          StrCat(", column ", column, " (", name, "): ", Quote(field.text), " is not ", what)};
}

// Appends one non-null field to its column, or says why it cannot.
bool AppendValue(const Field& field, std::size_t column, std::string_view name,
                 ColumnBuilder& builder, CsvError* error) {
  const std::string_view text = field.text;
  switch (builder.type()) {
    case ColumnType::kInt64: {
      std::int64_t value;
      switch (ParseInt64(text, &value)) {
        case IntParse::kOk:
          builder.AppendInt64(value);
          return true;
        case IntParse::kOutOfRange:
          *error = ValueError(field, column, name, "an int64 (out of range)");
          return false;
        case IntParse::kNotAnInteger:
          *error = ValueError(field, column, name, "an int64");
          return false;
      }
      break;
    }
    case ColumnType::kDouble: {
      double value;
      if (!ParseDouble(text, &value)) {
        *error = ValueError(field, column, name, "a double");
        return false;
      }
      builder.AppendDouble(value);
      return true;
    }
    case ColumnType::kBool: {
      std::optional<bool> value = ParseBool(text);
      if (!value) {
        *error = ValueError(field, column, name, "a bool (true or false)");
        return false;
      }
      builder.AppendBool(*value);
      return true;
    }
    case ColumnType::kTimestamp: {
      std::optional<std::int64_t> value = ParseTimestamp(text);
      if (!value) {
        *error = ValueError(field, column, name,
                            "a timestamp (ISO 8601: 2024-01-31, 2024-01-31T12:00:00Z, ...)");
        return false;
      }
      builder.AppendInt64(*value);
      return true;
    }
    case ColumnType::kString:
      builder.AppendString(text);
      return true;
  }
  *error = {field.line, ": unknown column type"};
  return false;
}

}  // namespace

NullValues::NullValues(const std::vector<std::string>& values) {
  for (const std::string& value : values) {
    if (value.empty()) {
      empty_ = true;
    } else {
      others_.push_back(value);
    }
  }
}

Inferred JoinTypes(Inferred a, Inferred b) {
  if (a == b || b == Inferred::kNothing) return a;
  if (a == Inferred::kNothing) return b;
  if ((a == Inferred::kInt64 && b == Inferred::kDouble) ||
      (a == Inferred::kDouble && b == Inferred::kInt64)) {
    return Inferred::kDouble;
  }
  return Inferred::kString;
}

ColumnType TypeOf(Inferred inferred) {
  switch (inferred) {
    case Inferred::kInt64:
      return ColumnType::kInt64;
    case Inferred::kDouble:
      return ColumnType::kDouble;
    case Inferred::kBool:
      return ColumnType::kBool;
    case Inferred::kTimestamp:
      return ColumnType::kTimestamp;
    case Inferred::kNothing:
    case Inferred::kString:
      break;
  }
  return ColumnType::kString;
}

PartReader::PartReader(const CsvLayout& layout) : layout_(layout), columns_(layout.names.size()) {}

void PartReader::Read(std::size_t start, std::size_t end, std::size_t first_line,
                      std::size_t max_rows) {
  start_ = start;
  end_ = end;
  first_line_ = first_line;
  max_rows_ = max_rows;
  const std::size_t width = columns_.size();
  for (std::size_t c = 0; c < width; ++c) {
    if (layout_.given[c]) Start(c, *layout_.given[c], 0);
  }
  Scanner scanner(layout_.input, layout_.options->delimiter, layout_.options->quote);
  scanner.Seek(start, first_line);
  Records records(scanner, width, layout_.options->header, end, max_rows);
  CsvError error;
  for (;;) {
    const Step step = records.Next(&error);
    if (step == Step::kEnd) break;
    if (step == Step::kError) {
      syntax_error_ = std::move(error);
      return;
    }
    ++rows_;
    if (rows_ == 1024) EstimateRows(scanner.at());
    if (value_error_) continue;  // only the syntax is still checked
    const Field* fields = records.fields().data();
    for (std::size_t c = 0; c < width; ++c) {
      const Field& field = fields[c];
      State& state = columns_[c];
      if (layout_.nulls.Matches(field)) {
        if (state.values) state.values->AppendNull();
      } else if (!layout_.given[c]) {
        Take(c, field);
      } else if (!AppendValue(field, c + 1, layout_.names[c], *state.values, &error)) {
        value_error_ = std::move(error);
        break;
      }
    }
  }
  stop_ = scanner.at();
  stop_line_ = scanner.line();
}

// The records so far predict how many the part holds, so that the columns
// grow once rather than by doubling.
void PartReader::EstimateRows(std::size_t at) {
  // Records that start before end_ but end after it are few; 1/16 spare.
  const double per_byte = static_cast<double>(rows_) / static_cast<double>(at - start_);
  expected_rows_ = static_cast<std::size_t>(per_byte * static_cast<double>(end_ - start_) * 1.0625);
  if (max_rows_ != 0) expected_rows_ = std::min(expected_rows_, max_rows_);
  for (State& state : columns_) {
    if (state.values) state.values->Reserve(expected_rows_);
  }
}

// The inference rules of csv_reader.h, as transitions on the state.
void PartReader::Take(std::size_t column, const Field& field) {
  State& state = columns_[column];
  const std::string_view text = field.text;
  switch (state.inferred) {
    case Inferred::kString:
      if (state.values) state.values->AppendString(text);
      return;
    case Inferred::kInt64: {
      std::int64_t value;
      switch (ParseInt64(text, &value)) {
        case IntParse::kOk:
          if (state.values) state.values->AppendInt64(value);
          if (value == 0 && text[0] == '-') state.negative_zero = true;
          return;
        case IntParse::kOutOfRange:
          Drop(state, Inferred::kString);
          return;
        case IntParse::kNotAnInteger:
          break;
      }
      double number;
      if (!ParseDouble(text, &number)) {
        Drop(state, Inferred::kString);
        return;
      }
      Widen(column);
      if (state.values) state.values->AppendDouble(number);
      return;
    }
    case Inferred::kDouble: {
      double number;
      if (!ParseDouble(text, &number) || IntegerOutOfRange(text)) {
        Drop(state, Inferred::kString);
        return;
      }
      if (state.values) state.values->AppendDouble(number);
      return;
    }
    case Inferred::kBool: {
      std::optional<bool> value = ParseBool(text);
      if (!value) {
        Drop(state, Inferred::kString);
        return;
      }
      if (state.values) state.values->AppendBool(*value);
      return;
    }
    case Inferred::kTimestamp: {
      std::optional<std::int64_t> value = ParseTimestamp(text);
      if (!value) {
        Drop(state, Inferred::kString);
        return;
      }
      if (state.values) state.values->AppendInt64(*value);
      return;
    }
    case Inferred::kNothing:
      First(column, text);
      return;
  }
}

// The first non-null value picks the column's type; the rows before it
// were null.
void PartReader::First(std::size_t column, std::string_view text) {
  State& state = columns_[column];
  std::int64_t integer;
  double number;
  std::optional<bool> boolean;
  std::optional<std::int64_t> time;
  switch (ParseInt64(text, &integer)) {
    case IntParse::kOk:
      state.inferred = Inferred::kInt64;
      Start(column, ColumnType::kInt64, rows_ - 1);
      state.values->AppendInt64(integer);
      state.negative_zero = integer == 0 && text[0] == '-';
      return;
    case IntParse::kOutOfRange:
      break;
    case IntParse::kNotAnInteger:
      if (ParseDouble(text, &number)) {
        state.inferred = Inferred::kDouble;
        Start(column, ColumnType::kDouble, rows_ - 1);
        state.values->AppendDouble(number);
        return;
      }
      if ((boolean = ParseBool(text))) {
        state.inferred = Inferred::kBool;
        Start(column, ColumnType::kBool, rows_ - 1);
        state.values->AppendBool(*boolean);
        return;
      }
      if ((time = ParseTimestamp(text))) {
        state.inferred = Inferred::kTimestamp;
        Start(column, ColumnType::kTimestamp, rows_ - 1);
        state.values->AppendInt64(*time);
        return;
      }
      break;
  }
  state.inferred = Inferred::kString;
  Start(column, ColumnType::kString, rows_ - 1);
  state.values->AppendString(text);
}

// A builder of `type` that starts with `nulls` null rows.
void PartReader::Start(std::size_t column, ColumnType type, std::size_t nulls) {
  std::optional<ColumnBuilder>& values = columns_[column].values;
  values.emplace(layout_.names[column], type);
  values->Reserve(std::max(expected_rows_, rows_));
  for (std::size_t row = 0; row < nulls; ++row) values->AppendNull();
}

// The kept values cannot become `inferred`; Finish reads them again.
void PartReader::Drop(State& state, Inferred inferred) {
  state.inferred = inferred;
  state.values.reset();
}

// int64 to double: each int64 converts to the double its text reads as
// (both round the same exact integer to nearest), except "-0".
void PartReader::Widen(std::size_t column) {
  State& state = columns_[column];
  state.inferred = Inferred::kDouble;
  if (!state.values) return;
  if (state.negative_zero) {
    state.values.reset();
    return;
  }
  const Column integers = std::move(*state.values).Finish();
  state.values.emplace(layout_.names[column], ColumnType::kDouble);
  state.values->Reserve(std::max(expected_rows_, integers.size() + 1));
  for (std::size_t row = 0; row < integers.size(); ++row) {
    if (integers.is_null(row)) {
      state.values->AppendNull();
    } else {
      state.values->AppendDouble(static_cast<double>(integers.int64(row)));
    }
  }
}

std::vector<ColumnBuilder> PartReader::Finish(const std::vector<ColumnType>& types) && {
  const std::size_t width = columns_.size();
  std::vector<std::size_t> again;
  for (std::size_t c = 0; c < width; ++c) {
    State& state = columns_[c];
    if (state.values && state.values->type() == types[c]) continue;
    if (state.inferred == Inferred::kNothing) {
      Start(c, types[c], rows_);
      continue;
    }
    if (state.values && !state.negative_zero && state.inferred == Inferred::kInt64 &&
        types[c] == ColumnType::kDouble) {
      Widen(c);
      continue;
    }
    state.values.emplace(layout_.names[c], types[c]);
    state.values->Reserve(rows_);
    again.push_back(c);
  }
  if (!again.empty()) {
    Scanner scanner(layout_.input, layout_.options->delimiter, layout_.options->quote);
    scanner.Seek(start_, first_line_);
    Records records(scanner, width, layout_.options->header, end_, max_rows_);
    CsvError error;
    while (records.Next(&error) == Step::kRecord) {
      for (std::size_t c : again) {
        const Field& field = records.fields()[c];
        if (layout_.nulls.Matches(field)) {
          columns_[c].values->AppendNull();
        } else {
          // Cannot fail: every part's values allow the joined type.
          AppendValue(field, c + 1, layout_.names[c], *columns_[c].values, &error);
        }
      }
    }
  }
  std::vector<ColumnBuilder> done;
  done.reserve(width);
  for (State& state : columns_) done.push_back(std::move(*state.values));
  return done;
}

}  // namespace sluice::data
