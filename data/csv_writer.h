// Writes a Table as CSV text that ReadCsv reads back to an equal table
// (given the same options and the table's column types).
#pragma once

#include <string>

#include "data/csv_options.h"
#include "data/table.h"

namespace sluice::data {

// The table as CSV: a header line when options.header, then one record a
// row, each ended by "\n". A null is written as options.null_values[0]
// (the empty field by default). A field is quoted, its quotes doubled,
// when it holds the delimiter, the quote, '\r' or '\n', when it is an
// empty string, when it equals one of the null values, or when it starts
// with a byte order mark. Doubles are the shortest text that reads back to
// the same double (std::to_chars), with ".0" added to integral ones so they
// still read as doubles; bools "true" / "false"; timestamps ISO 8601 UTC
// (data/timestamp.h). A one-column table with a null row writes a blank
// line, which ReadCsv reads back as that null.
// Thread-safe (no shared state).
std::string WriteCsv(const Table& table, const CsvOptions& options = {});

}  // namespace sluice::data
