// The library's side of st::DataFrame (sluice/dataframe.hpp): the
// data::Table behind a frame, and a frame around a Table. What st::
// functions that show or compute on frames (st::dataframe, st::table,
// read_csv) use; app code never sees a data::Table.
#pragma once

#include <memory>
#include <sluice/dataframe.hpp>
#include <utility>

#include "data/table.h"

namespace st::detail {

struct FrameAccess {
  static const std::shared_ptr<const sluice::data::Table>& Table(const DataFrame& frame) {
    return frame.table_;
  }
  static DataFrame Make(std::shared_ptr<const sluice::data::Table> table, bool mapped) {
    DataFrame frame;
    frame.table_ = std::move(table);
    frame.mapped_ = mapped;
    return frame;
  }
};

}  // namespace st::detail

namespace sluice::runtime {

// The frame's table, shared (never null: a frame without columns has an
// empty table). Immutable: safe to keep past the frame and to read from
// any thread.
inline std::shared_ptr<const data::Table> TableOf(const st::DataFrame& frame) {
  return st::detail::FrameAccess::Table(frame);
}

// The library's name of a column type, and the app's.
inline data::ColumnType ToData(st::ColumnType type) {
  switch (type) {
    case st::ColumnType::int64:
      return data::ColumnType::kInt64;
    case st::ColumnType::float64:
      return data::ColumnType::kDouble;
    case st::ColumnType::boolean:
      return data::ColumnType::kBool;
    case st::ColumnType::string:
      return data::ColumnType::kString;
    case st::ColumnType::timestamp:
      return data::ColumnType::kTimestamp;
  }
  return data::ColumnType::kString;
}

inline st::ColumnType FromData(data::ColumnType type) {
  switch (type) {
    case data::ColumnType::kInt64:
      return st::ColumnType::int64;
    case data::ColumnType::kDouble:
      return st::ColumnType::float64;
    case data::ColumnType::kBool:
      return st::ColumnType::boolean;
    case data::ColumnType::kString:
      return st::ColumnType::string;
    case data::ColumnType::kTimestamp:
      return st::ColumnType::timestamp;
  }
  return st::ColumnType::string;
}

// A frame around `table` (not null), sharing it.
inline st::DataFrame FrameOf(std::shared_ptr<const data::Table> table) {
  return st::detail::FrameAccess::Make(std::move(table), false);
}

}  // namespace sluice::runtime
