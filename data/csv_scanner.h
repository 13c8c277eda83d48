// The CSV reader's tokenizer: splits bytes into records of fields (the
// syntax data/csv_reader.h describes) from any record start, so that
// several threads can each read a part of one input.
//
// Errors keep their line apart from the rest of the message, because a part
// read on its own counts lines from 1 and learns its real first line only
// once the parts before it are read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::data {

// An error whose message is "line <line><rest>", e.g. line 3 and
// ", column 2: a quoted field is never closed".
struct CsvError {
  std::size_t line = 0;
  std::string rest;

  std::string Message() const;
};

CsvError SyntaxError(std::size_t line, std::size_t column, std::string_view what);

struct Field {
  std::string_view text;  // unescaped; valid until the scanner's next Next
  bool quoted;
  std::size_t line;  // where the field starts
};

enum class Step { kRecord, kEnd, kError };

// Reads records one at a time. Unquoted fields and quoted ones without
// doubled quotes are views of the input; the others are unescaped into
// buffers the scanner reuses. Not thread-safe; one per thread.
class Scanner {
 public:
  Scanner(std::string_view input, char delimiter, char quote);

  // Continues at byte `at`, which starts a record on line `line`.
  void Seek(std::size_t at, std::size_t line) {
    at_ = at;
    line_ = line;
  }
  std::size_t at() const { return at_; }
  std::size_t line() const { return line_; }

  // Reads the record at at() into fields(): kEnd when at() is the input's
  // end, kError (and *error) when the record is malformed.
  Step Next(CsvError* error);
  // The last record's fields, valid until the next Next.
  std::span<const Field> fields() const { return {fields_.data(), count_}; }

 private:
  // REQUIRES: input_[at_] is the opening quote. Leaves at_ past the closing one.
  Step Quoted(std::size_t column, std::string_view* text, CsvError* error);
  // The first delimiter, quote or line end at or after `from`, or the end.
  std::size_t FindStop(std::size_t from);
  std::uint64_t StopsIn(std::size_t base) const;
  // Line ends inside a quoted field still count for the lines errors name.
  void CountLines(std::size_t from, std::size_t to);
  void Add(const Field& field) {
    if (count_ == fields_.size()) fields_.resize(2 * count_ + 8);
    fields_[count_++] = field;
  }

  std::string_view input_;
  char delimiter_;
  char quote_;
  bool stops_[256] = {};
  // The stops of the 64-byte block at block_ (FindStop), one bit a byte.
  std::size_t block_ = static_cast<std::size_t>(-1);
  std::uint64_t mask_ = 0;
  std::size_t at_ = 0;
  std::size_t line_ = 1;
  // The record's fields are the first count_; the vector only grows, so
  // that adding a field is a store.
  std::vector<Field> fields_;
  std::size_t count_ = 0;
  // A deque: growing it does not move the buffers earlier fields view.
  std::deque<std::string> unescaped_;
};

// The data records of one stretch of the input: skips blank lines where
// they are not records, checks each record has `width` fields, and stops
// before the first record that starts at or after `end`, or after
// `max_rows` records (0: no limit).
class Records {
 public:
  Records(Scanner& scanner, std::size_t width, bool header, std::size_t end, std::size_t max_rows)
      : scanner_(scanner), width_(width), header_(header), end_(end), max_rows_(max_rows) {}

  Step Next(CsvError* error);
  std::span<const Field> fields() const { return scanner_.fields(); }

 private:
  Scanner& scanner_;
  std::size_t width_;
  bool header_;
  std::size_t end_;
  std::size_t max_rows_;
  std::size_t rows_ = 0;
};

}  // namespace sluice::data
