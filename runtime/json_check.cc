#include "runtime/json_check.h"

#include <algorithm>
#include <cstddef>
#include <nlohmann/json.hpp>

namespace sluice::runtime {
namespace {

using Json = nlohmann::json;

// Accepts every value; remembers the first error.
struct Checker {
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(Json::number_integer_t) { return true; }
  bool number_unsigned(Json::number_unsigned_t) { return true; }
  bool number_float(Json::number_float_t, const Json::string_t&) { return true; }
  bool string(Json::string_t&) { return true; }
  bool binary(Json::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(Json::string_t&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    error_position = position;
    error = e.what();
    return false;
  }

  std::size_t error_position = 0;  // 1-based: the byte the parser stopped at
  std::string error;
};

// The offending token can be the whole rest of a huge text ("last read:
// '...'"): keep the start, cut on a UTF-8 character boundary.
constexpr std::size_t kMaxDetailBytes = 200;

// nlohmann's message without its "[json.exception.parse_error.101] parse
// error at line L, column C: " lead (the position is said once, ours).
std::string Detail(std::string_view what) {
  if (std::size_t tag = what.find("] "); what.starts_with("[json.exception.") && tag != what.npos) {
    what.remove_prefix(tag + 2);
  }
  if (what.starts_with("parse error")) {
    if (std::size_t colon = what.find(": "); colon != what.npos) what.remove_prefix(colon + 2);
  }
  if (what.size() > kMaxDetailBytes) {
    std::size_t cut = kMaxDetailBytes;
    while (cut > 0 && (static_cast<unsigned char>(what[cut]) & 0xC0) == 0x80) --cut;
    return std::string(what.substr(0, cut)) + "…";
  }
  return std::string(what);
}

// "Invalid JSON at line 2, column 5 (byte offset 17): syntax error ...":
// line and column (in characters, both from 1) of the byte at `offset`
// (0-based; the text's length if the text ended too soon).
std::string Describe(std::string_view text, std::size_t offset, std::string_view what) {
  offset = std::min(offset, text.size());
  std::string_view before = text.substr(0, offset);
  std::size_t line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  std::size_t line_start = before.rfind('\n');
  std::string_view in_line = line_start == before.npos ? before : before.substr(line_start + 1);
  std::size_t column =
      1 + static_cast<std::size_t>(std::count_if(in_line.begin(), in_line.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      }));
  return "Invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(column) +
         " (byte offset " + std::to_string(offset) + "): " + Detail(what);
}

}  // namespace

std::optional<std::string> JsonError(std::string_view text) {
  // nlohmann's lexer takes a NUL byte for the end of the input, so
  // "[1]\0junk" would pass: the check reads up to the first NUL, and a NUL
  // the parser did not stop before is an error of its own (JSON has none
  // outside strings, and inside them only escaped).
  std::size_t nul = text.find('\0');
  std::string_view checked = text.substr(0, nul);
  Checker checker;
  bool valid = Json::sax_parse(checked.begin(), checked.end(), &checker);
  std::size_t offset = checker.error_position > 0 ? checker.error_position - 1 : 0;
  if (nul != text.npos && (valid || offset >= nul)) {
    return Describe(text, nul, "a NUL byte, which JSON allows only inside a string as \\u0000");
  }
  if (valid) return std::nullopt;
  return Describe(text, offset, checker.error);
}

}  // namespace sluice::runtime
