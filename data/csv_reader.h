// Reads CSV bytes into a Table, usually in one pass: each column's values
// are parsed once, as the type inferred so far, and kept (int64s become
// doubles exactly when a later value is a double); only a column whose
// earlier values cannot become its final type (a string after numbers, say)
// is read again from the bytes. No unquoted field is copied on the way.
//
// Threads (CsvOptions::threads): with more than one, the input is split
// into parts of at least 1 MiB at line ends, each read on its own thread,
// then the parts' types are joined and their columns concatenated. A split
// inside a quoted field is caught (the part before it does not stop there)
// and that part is read again from the right place, so the table and any
// error (its line too) are exactly those of the serial read. max_rows reads
// serially.
//
// Syntax (RFC 4180, plus what real files do):
// - Records end at "\r\n", "\n" or a lone "\r"; the last may end at the end
//   of input instead. A UTF-8 byte order mark at the very start is skipped.
// - A quoted field starts with the quote right after a delimiter or the
//   record's start, may hold delimiters, line ends and doubled quotes (one
//   quote each), and must be followed by a delimiter, a line end or the end.
//   A quote inside an unquoted field is an error, as RFC 4180 has it.
// - A blank line is a record of one empty (null) field when the file has a
//   single column; with more columns, blank lines are skipped.
// - Every record has as many fields as the first (the header, when there is
//   one); no field is trimmed of spaces.
//
// Types, inferred per column over all rows read, from the non-null fields
// (quoted or not); a column of only nulls, or none, is a string column:
// - int64: what std::from_chars reads in base 10, whole ("-12", "007"; no
//   "+", no spaces). An integer outside int64 makes the column a string
//   column, so long identifiers keep every digit.
// - double: what std::from_chars reads in the general format, whole
//   ("1.5", "-2e10", ".5", "inf", "nan"); a column of ints and doubles is
//   double.
// - bool: "true" / "false" in any case. "0" / "1" are integers.
// - timestamp: ParseTimestamp's ISO 8601 forms (data/timestamp.h).
// - anything else: string.
// Nulls are unquoted fields equal to one of CsvOptions::null_values.
//
// Errors are InvalidArgument with a message an app author can act on,
// naming the 1-based line (where the field starts) and column:
//   "line 17, column 3 (price): 'abc' is not a double".
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "data/csv_options.h"
#include "data/table.h"

namespace sluice::data {

// The Table the bytes hold. The result owns its data; `bytes` may go once
// this returns. Thread-safe (no shared state).
absl::StatusOr<Table> ReadCsv(std::string_view bytes, const CsvOptions& options = {});
absl::StatusOr<Table> ReadCsv(std::span<const std::byte> bytes, const CsvOptions& options = {});

// ReadCsv with the input split into parts of about `part_bytes` (at least
// 1) whatever its size, read on options.threads threads: for tests and the
// fuzzer, which check tiny parts against the serial read.
absl::StatusOr<Table> ReadCsvInParts(std::string_view bytes, const CsvOptions& options,
                                     std::size_t part_bytes);

}  // namespace sluice::data
