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

// A frame around `table` (not null), sharing it.
inline st::DataFrame FrameOf(std::shared_ptr<const data::Table> table) {
  return st::detail::FrameAccess::Make(std::move(table), false);
}

}  // namespace sluice::runtime
