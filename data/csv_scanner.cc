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

#if defined(__SSE2__)
// Bit i is set when input_[base + i] is a delimiter, quote or line end.
std::uint64_t Scanner::StopsIn(std::size_t base) const {
  const __m128i delimiter = _mm_set1_epi8(delimiter_);
  const __m128i quote = _mm_set1_epi8(quote_);
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i carriage = _mm_set1_epi8('\r');
  std::uint64_t mask = 0;
  for (int i = 0; i < 4; ++i) {
    const __m128i bytes =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(input_.data() + base + 16 * i));
    const __m128i stops =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, delimiter), _mm_cmpeq_epi8(bytes, quote)),
                     _mm_or_si128(_mm_cmpeq_epi8(bytes, newline), _mm_cmpeq_epi8(bytes, carriage)));
    mask |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(stops))) << (16 * i);
  }
  return mask;
}
#endif

// Fields are short: the stops of a 64-byte block are found at once (SSE2
// is in every x86-64) and serve its next few fields. Other machines, and
// the input's last partial block, take the table loop.
std::size_t Scanner::FindStop(std::size_t from) {
  const std::size_t end = input_.size();
#if defined(__SSE2__)
  for (;;) {
    const std::size_t base = from & ~std::size_t{63};
    if (base + 64 > end) break;
    if (base != block_) {
      mask_ = StopsIn(base);
      block_ = base;
    }
    const std::uint64_t ahead = mask_ >> (from - base);
    if (ahead != 0) return from + static_cast<std::size_t>(__builtin_ctzll(ahead));
    from = base + 64;
  }
#endif
  while (from < end && !stops_[static_cast<unsigned char>(input_[from])]) ++from;
  return from;
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
