// st::read_csv and st::to_csv: CSV text to a st::DataFrame and back.
//
//   st::DataFrame df = st::read_csv(file);                  // an st::UploadedFile
//   st::DataFrame d2 = st::read_csv(std::filesystem::path("data/prices.csv"),
//                                   {.delimiter = ';', .max_rows = 1000});
//   st::DataFrame d3 = st::read_csv("a,b\n1,x\n");            // a string is the text itself
//   std::string text = st::to_csv(df);
//
// Reading follows RFC 4180 (quoted fields with delimiters, line ends and
// doubled quotes), takes "\r\n", "\n" or "\r" line ends and skips a UTF-8
// byte order mark. Column types are inferred from the values unless
// .column_types names them: int64, then double, bool ("true"/"false" in any
// case), timestamp (ISO 8601, e.g. 2024-01-31T12:00:00Z), else string. An
// unquoted field equal to one of .null_values (the empty field by default)
// is null.
//
// A malformed file, a value that does not parse as the type .column_types
// gives its column, or a .column_types name that is no column, throws
// std::runtime_error naming the line and column:
//   "st::read_csv: line 17, column 3 (price): 'abc' is not a double".
// Uncaught, it shows on the page like any exception the app lets escape.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <sluice/dataframe.hpp>
#include <sluice/file_uploader.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace st {

struct CsvOptions {
  // Between fields. Must differ from `quote` and be neither '\r' nor '\n'.
  char delimiter = ',';
  // The first record names the columns; without one they are "column_1",
  // "column_2", ... (so is an empty header field).
  bool header = true;
  char quote = '"';
  // Column name -> type, instead of inferring it.
  std::map<std::string, ColumnType, std::less<>> column_types;
  // Unquoted fields spelled exactly so are null. to_csv writes a null as
  // the first of them.
  std::vector<std::string> null_values = {""};
  // Read at most this many data records; 0 reads them all.
  std::size_t max_rows = 0;
};

// The frame the CSV text holds. The frame owns its values: the text may go
// once this returns. Strings (std::string, std::string_view, "literals")
// are the text itself, never a file name: pass a std::filesystem::path to
// read a file.
DataFrame read_csv(std::string_view text, const CsvOptions& options = {});
DataFrame read_csv(const std::string& text, const CsvOptions& options = {});
DataFrame read_csv(const char* text, const CsvOptions& options = {});
DataFrame read_csv(std::span<const std::byte> bytes, const CsvOptions& options = {});
// An upload's bytes, read where they lie (not copied first).
DataFrame read_csv(const UploadedFile& file, const CsvOptions& options = {});
// A file on the worker's disk (as the sandbox lets it see it). A file that
// cannot be opened or read is std::runtime_error naming the path and why.
DataFrame read_csv(const std::filesystem::path& file, const CsvOptions& options = {});

// The frame as CSV text that read_csv reads back to an equal frame: a
// header line when options.header, then one record a row, each ended by
// "\n"; fields quoted when they must be; doubles in their shortest exact
// form; timestamps ISO 8601 UTC.
std::string to_csv(const DataFrame& frame, const CsvOptions& options = {});

}  // namespace st
