// A data::Table's columns and rows as the page gets them (ColumnInfo, Rows
// in ipc/page.capnp): what st::dataframe's first window and its query
// answers, st::table and st::vega_lite_chart's dataset are made of.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "data/table.h"
#include "ipc/page.capnp.h"

namespace sluice::runtime {

// A string cell longer than this is cut (at a UTF-8 character boundary): a
// grid cell shows far less, and one cell must not make a reply huge.
inline constexpr std::size_t kMaxCellBytes = 1024;

ipc::ColumnType ColumnTypeOf(data::ColumnType type);

void FillColumns(const data::Table& table, capnp::List<ipc::ColumnInfo>::Builder columns);

// The rows `rows` (indexes into the table, in the order shown) into `out`;
// `first` is the shown-order index of rows[0].
void FillRows(const data::Table& table, std::span<const std::uint64_t> rows, std::uint64_t first,
              ipc::Rows::Builder out);
// Rows [begin, begin + count) in the table's own order.
void FillRowRange(const data::Table& table, std::uint64_t begin, std::uint64_t count,
                  ipc::Rows::Builder out);
// Every row of each column, one Cells a column (`cells` has num_columns()
// entries): a dataset shipped whole, as st::vega_lite_chart's.
void FillAllCells(const data::Table& table, capnp::List<ipc::Cells>::Builder cells);

}  // namespace sluice::runtime
