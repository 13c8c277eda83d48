// Showing a st::DataFrame: an interactive grid, or a static table.
//
//   st::DataFrame sales = cached_load();   // 10 million rows
//   st::dataframe(sales, {.height = 500});
//   st::table(sales.head(20));
//
// st::dataframe never sends the whole frame. The page gets the column names
// and types, the row count and the first rows; as the viewer scrolls it
// asks the worker for the rows it shows (no rerun), and a click on a
// header sorts in the worker. The worker keeps the frame (shared, not
// copied) and one sort order while the grid is shown, and lets them go
// when a finished run no longer shows it. The grid may not be shown inside
// a cached function (it belongs to the run that shows it).
//
// st::table sends every row it shows with the element: up to `max_rows`
// (1,000 by default), then a line saying how many were left out. It may be
// shown inside a cached function. In both, a string cell longer than 1 KiB
// is cut there.
#pragma once

#include <cstddef>
#include <sluice/dataframe.hpp>
#include <string>

namespace st {

struct DataFrameOptions {
  int height = 0;   // pixels; 0: about 400, less for a short frame
  std::string key;  // identity, when two grids would otherwise be told apart by order
};

void dataframe(const DataFrame& frame, const DataFrameOptions& options = {});

struct TableOptions {
  std::size_t max_rows = 1000;  // rows shown; the rest are counted, not sent
};

void table(const DataFrame& frame, const TableOptions& options = {});

}  // namespace st
