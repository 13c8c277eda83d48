// The dialect and typing options that the CSV reader and writer share.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "data/table.h"

namespace sluice::data {

struct CsvOptions {
  // Between fields. Must differ from `quote` and be neither '\r' nor '\n'.
  char delimiter = ',';
  // The first record names the columns. Without one, columns are named
  // "column_1", "column_2", ...; so is a header field that is empty.
  bool header = true;
  // Opens and closes a quoted field; doubled inside one it stands for itself.
  char quote = '"';
  // Column name -> type, instead of inferring it. Reading fails when a name
  // is not a column or a value does not parse as its type.
  std::map<std::string, ColumnType, std::less<>> column_types;
  // Unquoted fields spelled exactly so are null (a quoted field never is).
  // The writer writes a null as the first of them, so keep it non-empty
  // when writing.
  std::vector<std::string> null_values = {""};
  // Read at most this many data records; 0 reads them all.
  std::size_t max_rows = 0;
  // Reader only: how many threads read (csv_reader.h); 0 is one per core
  // (std::thread::hardware_concurrency). 1 by default: a session's worker
  // shares the machine with every other session, so using more cores is
  // the app's choice. Inputs under 2 MiB are read on one thread anyway.
  int threads = 1;
};

}  // namespace sluice::data
