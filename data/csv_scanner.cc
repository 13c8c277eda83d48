#include "data/csv_scanner.h"

#include <cstring>

#include "util/strings.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::data {

std::string CsvError::Message() const { return StrCat("line ", line, rest); }

CsvError SyntaxError(std::size_t line, std::size_t column, std::string_view what) {
  return {line, StrCat(", column ", column, ": ", what)};
}

Scanner::Scanner(std::string_view input, char delimiter, char quote)
    : input_(input), delimiter_(delimiter), quote_(quote) {
  for (unsigned char c : {static_cast<unsigned char>(delimiter), static_cast<unsigned char>(quote),
                          static_cast<unsigned char>('\r'), static_cast<unsigned char>('\n')}) {
    stops_[c] = true;
  }
}

// Fields are short, so the vector loop usually ends in its first 16 bytes;
// SSE2 is in every x86-64, and other machines take the table loop.
std::size_t Scanner::FindStop(std::size_t from) const {
  const char* const data = input_.data();
  const std::size_t end = input_.size();
  std::size_t at = from;
#if defined(__SSE2__)
  const __m128i delimiter = _mm_set1_epi8(delimiter_);
  const __m128i quote = _mm_set1_epi8(quote_);
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i carriage = _mm_set1_epi8('\r');
  for (; end - at >= 16; at += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at));
    const __m128i stops =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, delimiter), _mm_cmpeq_epi8(bytes, quote)),
                     _mm_or_si128(_mm_cmpeq_epi8(bytes, newline), _mm_cmpeq_epi8(bytes, carriage)));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(stops));
    if (mask != 0) return at + static_cast<std::size_t>(__builtin_ctz(mask));
  }
#endif
  while (at < end && !stops_[static_cast<unsigned char>(data[at])]) ++at;
  return at;
}

Step Scanner::Next(CsvError* error) {
  count_ = 0;
  const std::size_t end = input_.size();
  if (at_ >= end) return Step::kEnd;
  for (std::size_t column = 1;; ++column) {
    const std::size_t line = line_;
    if (at_ < end && input_[at_] == quote_) {
      std::string_view text;
      if (Quoted(column, &text, error) != Step::kRecord) return Step::kError;
      Add({text, true, line});
      if (at_ < end && input_[at_] != delimiter_ && input_[at_] != '\n' && input_[at_] != '\r') {
        *error = SyntaxError(line_, column,
                             "text after a quoted field's closing quote (a quote inside a "
                             "quoted field is written twice)");
        return Step::kError;
      }
    } else {
      const std::size_t start = at_;
      at_ = FindStop(at_);
      if (at_ < end && input_[at_] == quote_) {
        *error = SyntaxError(line, column,
                             "a quote inside an unquoted field (quote the whole field and write "
                             "the quote twice)");
        return Step::kError;
      }
      Add({input_.substr(start, at_ - start), false, line});
    }
    if (at_ >= end) return Step::kRecord;
    const char c = input_[at_++];
    if (c == delimiter_) continue;
    if (c == '\r' && at_ < end && input_[at_] == '\n') ++at_;
    ++line_;
    return Step::kRecord;
  }
}

Step Scanner::Quoted(std::size_t column, std::string_view* text, CsvError* error) {
  const std::size_t line = line_;
  const std::size_t end = input_.size();
  std::size_t segment = ++at_;
  std::string* unescaped = nullptr;
  for (;;) {
    const void* found = std::memchr(input_.data() + at_, quote_, end - at_);
    if (found == nullptr) {
      at_ = end;
      *error = SyntaxError(line, column, "a quoted field is never closed");
      return Step::kError;
    }
    const std::size_t close = static_cast<const char*>(found) - input_.data();
    CountLines(at_, close);
    if (close + 1 < end && input_[close + 1] == quote_) {
      if (unescaped == nullptr) {
        while (unescaped_.size() < column) unescaped_.emplace_back();
        unescaped = &unescaped_[column - 1];
        unescaped->clear();
      }
      unescaped->append(input_.substr(segment, close + 1 - segment));
      at_ = segment = close + 2;
      continue;
    }
    at_ = close + 1;
    if (unescaped == nullptr) {
      *text = input_.substr(segment, close - segment);
    } else {
      unescaped->append(input_.substr(segment, close - segment));
      *text = *unescaped;
    }
    return Step::kRecord;
  }
}

void Scanner::CountLines(std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (input_[i] == '\n' ||
        (input_[i] == '\r' && (i + 1 >= input_.size() || input_[i + 1] != '\n'))) {
      ++line_;
    }
  }
}

Step Records::Next(CsvError* error) {
  for (;;) {
    if (max_rows_ != 0 && rows_ == max_rows_) return Step::kEnd;
    if (scanner_.at() >= end_) return Step::kEnd;
    const Step step = scanner_.Next(error);
    if (step != Step::kRecord) return step;
    const std::span<const Field> fields = scanner_.fields();
    if (width_ > 1 && fields.size() == 1 && !fields[0].quoted && fields[0].text.empty()) {
      continue;  // a blank line
    }
    if (fields.size() != width_) {
      std::string what = StrCat("a record of ", fields.size(), " fields, but the ",
                                header_ ? "header" : "first record", " has ", width_);
      if (fields.size() > width_) {
        *error = SyntaxError(fields[width_].line, width_ + 1, what);
      } else {
        *error = {fields[0].line, StrCat(": ", what)};
      }
      return Step::kError;
    }
    ++rows_;
    return Step::kRecord;
  }
}

}  // namespace sluice::data
