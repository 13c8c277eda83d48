// Row operations on a Table that make a new Table: the first rows, the rows
// a mask keeps, the rows at given positions. Pure functions over immutable
// tables; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "data/table.h"

namespace sluice::data {

// The first min(n, rows) rows. Shares the table's buffers (no value is
// copied), so it costs the same for any n.
Table Head(const Table& table, std::size_t n);

// The rows whose mask entry is true (nonzero), in order. Fails
// (InvalidArgument) when the mask's length is not the table's row count.
absl::StatusOr<Table> Filter(const Table& table, std::span<const bool> mask);

// Rows rows[0], rows[1], ... of the column / table, in that order (a row may
// repeat): how a sorted window or a filter gathers its rows. Copies those
// rows' values. Fails (OutOfRange) when a position is not a row.
absl::StatusOr<Column> TakeRows(const Column& column, std::span<const std::uint64_t> rows);
absl::StatusOr<Table> TakeRows(const Table& table, std::span<const std::uint64_t> rows);

// Same names, types, row counts, nulls, and values in the non-null rows
// (doubles compare by value, with NaN equal to NaN).
bool Equal(const Column& a, const Column& b);
bool Equal(const Table& a, const Table& b);

// Whether a and b are the same columns over the very same bytes: names,
// types and row counts equal, and every buffer at the same address with the
// same size. Then they are equal, known without reading a value (two frames
// decoded from one mapping, a frame and its copy); false says nothing.
bool SameBuffers(const Table& a, const Table& b);

}  // namespace sluice::data
