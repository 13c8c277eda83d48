// st::dataframe and st::table: a frame's columns and rows on the page
// (runtime/frame_rows.h). The grid's later rows come by query: FrameTarget
// answers them from the shared frame, in the frame's own order or in a
// sort order it works out once (data/sort.h) and keeps while shown.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/frame_ops.h"
#include "data/sort.h"
#include "data/timestamp.h"
#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "runtime/frame_access.h"
#include "runtime/frame_rows.h"
#include "runtime/query_targets.h"
#include "sluice/frame_elements.hpp"
#include "util/strings.h"

namespace st {

using sluice::ipc::Element;

namespace {

namespace data = sluice::data;
using sluice::runtime::QueryReplies;
using sluice::runtime::RowsQuery;

// Rows in the element itself: what a grid of the default height shows,
// with room to scroll a little before the first query.
constexpr std::uint64_t kFirstRows = 60;
// The most rows one query gets (DataFrame.maxWindowRows): a few screens.
constexpr std::uint32_t kMaxWindowRows = 500;
// Bounds on one answer, however wide the frame or long its strings.
constexpr std::uint64_t kMaxWindowCells = 50'000;
constexpr std::uint64_t kMaxWindowStringBytes = 4u << 20;

// The most rows one query of `table` gets: kMaxWindowRows, fewer for a
// frame so wide (or with so many string columns) that a full window would
// pass the answer's bounds. Every window of at most this many rows is
// answered whole, so the page never waits for rows a reply left out.
std::uint32_t MaxWindowRows(const data::Table& table) {
  std::uint64_t rows = kMaxWindowRows;
  rows = std::min<std::uint64_t>(rows,
                                 kMaxWindowCells / std::max<std::size_t>(table.num_columns(), 1));
  std::size_t strings = 0;
  for (const data::Column& column : table.columns()) {
    if (column.type() == data::ColumnType::kString) ++strings;
  }
  if (strings > 0) {
    rows = std::min<std::uint64_t>(
        rows, kMaxWindowStringBytes / (strings * sluice::runtime::kMaxCellBytes));
  }
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(rows, 1));
}

// A new sort order may take at most half the worker's time: one is worked
// out only if the last took no longer than the time since it ended. A page
// that flips the order faster gets an error (and asks again), instead of
// queueing sorts of 10M rows (0.3 s each) back to back.
constexpr double kMaxSortShare = 0.5;

class FrameTarget final : public sluice::runtime::QueryTarget {
 public:
  explicit FrameTarget(std::shared_ptr<const data::Table> table)
      : table_(std::move(table)), max_window_rows_(MaxWindowRows(*table_)) {}

  bool SameAs(const QueryTarget& next) const override {
    const auto* other = dynamic_cast<const FrameTarget*>(&next);
    // The same Table, or one decoded again from the same mapping (a rerun's
    // cache hit while the grid holds the last): same bytes, same frame.
    return other != nullptr &&
           (other->table_ == table_ || data::SameBuffers(*other->table_, *table_));
  }
  void Inherit(QueryTarget& before) override {
    if (auto* frame = dynamic_cast<FrameTarget*>(&before)) {
      sort_ = std::move(frame->sort_);
      last_sort_end_ = frame->last_sort_end_;
      last_sort_took_ = frame->last_sort_took_;
    }
  }

  std::uint32_t max_window_rows() const { return max_window_rows_; }

  void Answer(QueryReplies& replies) override {
    const auto* query = std::get_if<RowsQuery>(&replies.query().what);
    if (query == nullptr) {
      replies.Error("a dataframe answers only rows queries");
      return;
    }
    const data::Table& table = *table_;
    std::uint64_t total = table.num_rows();
    if (query->count == 0 || query->count > max_window_rows_) {
      replies.Error(sluice::StrCat("a rows query asks for 1 to ", max_window_rows_,
                                   " rows of this frame, not ", query->count));
      return;
    }
    if (query->sort_column < -1 ||
        query->sort_column >= static_cast<std::int64_t>(table.num_columns())) {
      replies.Error(sluice::StrCat("there is no column ", query->sort_column, " to sort by (",
                                   table.num_columns(), " columns)"));
      return;
    }
    if (query->begin >= total && !(total == 0 && query->begin == 0)) {
      replies.Error(sluice::StrCat("row ", query->begin, " is past the frame's ", total, " rows"));
      return;
    }
    std::uint64_t end = std::min<std::uint64_t>(total, query->begin + query->count);
    std::vector<std::uint64_t> rows(end - query->begin);
    if (query->sort_column < 0) {
      for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = query->begin + i;
    } else {
      if (total > std::numeric_limits<std::uint32_t>::max()) {
        replies.Error("a frame of more than 4,294,967,295 rows is shown in its own order only");
        return;
      }
      const std::vector<std::uint32_t>* order = SortedBy(*query);
      if (order == nullptr) {
        replies.Error("the frame was sorted another way a moment ago; ask again shortly");
        return;
      }
      std::copy(order->begin() + static_cast<std::ptrdiff_t>(query->begin),
                order->begin() + static_cast<std::ptrdiff_t>(end), rows.begin());
    }
    replies.Send([&](sluice::ipc::QueryReply::Builder reply) {
      auto out = reply.initRows();
      sluice::runtime::FillRows(table, rows, query->begin, out);
      out.setSortColumn(query->sort_column);
      out.setDescending(query->descending);
    });
  }

 private:
  struct Sorted {
    std::int32_t column;
    bool descending;
    std::vector<std::uint32_t> rows;  // 4 bytes a row: half of what a sort returns
  };

  // The frame's rows in the query's order, worked out once per order and
  // kept (one order at a time: 4 bytes a row); null when a new order would
  // take more than kMaxSortShare of the worker's time.
  const std::vector<std::uint32_t>* SortedBy(const RowsQuery& query) {
    if (sort_ && sort_->column == query.sort_column && sort_->descending == query.descending) {
      return &sort_->rows;
    }
    auto now = std::chrono::steady_clock::now();
    if (now < last_sort_end_ + last_sort_took_ * (1 / kMaxSortShare - 1)) return nullptr;
    sort_.reset();  // the old order's memory goes before the new one's comes
    std::vector<std::uint64_t> order = data::SortPermutation(
        table_->column(static_cast<std::size_t>(query.sort_column)),
        query.descending ? data::SortOrder::kDescending : data::SortOrder::kAscending);
    sort_ = std::make_shared<Sorted>(Sorted{query.sort_column, query.descending, {}});
    sort_->rows.assign(order.begin(), order.end());  // every row < 2^32 (Answer checks)
    last_sort_end_ = std::chrono::steady_clock::now();
    last_sort_took_ = last_sort_end_ - now;
    return &sort_->rows;
  }

  std::shared_ptr<const data::Table> table_;
  std::uint32_t max_window_rows_;
  std::shared_ptr<Sorted> sort_;
  std::chrono::steady_clock::time_point last_sort_end_{};
  std::chrono::steady_clock::duration last_sort_took_{};
};

void CheckHeight(int height) {
  if (height < 0 || height > 10'000) {
    throw std::invalid_argument(
        sluice::StrCat("st::dataframe: height ", height, " is not 0 (default) to 10000 pixels"));
  }
}

// "a | b\n1 | 2\n...": header, then each row sent, cells by " | ".
std::optional<std::string> RowsText(capnp::List<sluice::ipc::ColumnInfo>::Reader columns,
                                    sluice::ipc::Rows::Reader rows) {
  std::string text;
  for (unsigned c = 0; c < columns.size(); ++c) {
    if (c > 0) text += " | ";
    text += sluice::ipc::ViewOf(columns[c].getName());
  }
  unsigned count = 0;
  if (rows.getColumns().size() > 0) {
    auto first = rows.getColumns()[0];
    switch (first.which()) {
      case sluice::ipc::Cells::INT64:
        count = first.getInt64().size();
        break;
      case sluice::ipc::Cells::FLOAT64:
        count = first.getFloat64().size();
        break;
      case sluice::ipc::Cells::BOOL:
        count = first.getBool().size();
        break;
      case sluice::ipc::Cells::STRING:
        count = first.getString().size();
        break;
      case sluice::ipc::Cells::TIMESTAMP:
        count = first.getTimestamp().size();
        break;
    }
  }
  for (unsigned r = 0; r < count; ++r) {
    text += "\n";
    for (unsigned c = 0; c < rows.getColumns().size(); ++c) {
      if (c > 0) text += " | ";
      auto cells = rows.getColumns()[c];
      if (cells.getNulls().size() > r && cells.getNulls()[r]) {
        text += "null";
        continue;
      }
      switch (cells.which()) {
        case sluice::ipc::Cells::INT64:
          text += std::to_string(cells.getInt64()[r]);
          break;
        case sluice::ipc::Cells::FLOAT64: {
          char buffer[32];
          auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, cells.getFloat64()[r]);
          text.append(buffer, error == std::errc() ? end : buffer);
          break;
        }
        case sluice::ipc::Cells::BOOL:
          text += cells.getBool()[r] ? "true" : "false";
          break;
        case sluice::ipc::Cells::STRING:
          text += sluice::ipc::ViewOf(cells.getString()[r]);
          break;
        case sluice::ipc::Cells::TIMESTAMP:
          data::AppendTimestamp(cells.getTimestamp()[r], text);
          break;
      }
    }
  }
  return text;
}

// The grid belongs to the run that shows it (its rows are answered by
// query): not in cached functions.
const bool kDataFrameKind = sluice::runtime::RegisterElementKind(
    {Element::DATAFRAME, false, [](Element::Reader e) -> std::optional<std::string> {
       auto frame = e.getDataframe();
       return RowsText(frame.getColumns(), frame.getFirst());
     }});
// A static table is plain content: replayed on a cache hit.
const bool kTableKind = sluice::runtime::RegisterElementKind(
    {Element::TABLE, true, [](Element::Reader e) -> std::optional<std::string> {
       auto table = e.getTable();
       std::optional<std::string> text = RowsText(table.getColumns(), table.getRows());
       if (table.getOmittedRows() > 0) {
         *text += sluice::StrCat("\n", table.getOmittedRows(), " more rows not shown");
       }
       return text;
     }});

}  // namespace

void dataframe(const DataFrame& frame, const DataFrameOptions& options) {
  CheckHeight(options.height);
  auto& runner = sluice::runtime::AppRunner::Current();
  runner.CheckInterrupt();
  std::shared_ptr<const data::Table> table = sluice::runtime::TableOf(frame);
  auto target = std::make_shared<FrameTarget>(table);
  std::uint32_t max_window_rows = target->max_window_rows();
  std::string id = runner.queries().Add("dataframe", "", options.key, std::move(target));
  std::uint64_t generation = 0;
  std::string_view digits = std::string_view(id).substr(id.rfind('#') + 1);
  std::from_chars(digits.data(), digits.data() + digits.size(), generation);
  runner.Emit([&](Element::Builder e) {
    auto grid = e.initDataframe();
    grid.adoptId(sluice::ipc::NewText(grid, id));
    grid.setGeneration(generation);
    grid.setRowCount(table->num_rows());
    sluice::runtime::FillColumns(*table,
                                 grid.initColumns(static_cast<unsigned>(table->num_columns())));
    grid.setHeight(static_cast<std::uint32_t>(options.height));
    sluice::runtime::FillRowRange(
        *table, 0, std::min<std::uint64_t>({table->num_rows(), kFirstRows, max_window_rows}),
        grid.initFirst());
    grid.setMaxWindowRows(max_window_rows);
  });
}

void table(const DataFrame& frame, const TableOptions& options) {
  std::shared_ptr<const data::Table> table = sluice::runtime::TableOf(frame);
  std::uint64_t shown = std::min<std::uint64_t>(table->num_rows(), options.max_rows);
  sluice::runtime::AppRunner::Current().Emit([&](Element::Builder e) {
    auto out = e.initTable();
    sluice::runtime::FillColumns(*table,
                                 out.initColumns(static_cast<unsigned>(table->num_columns())));
    sluice::runtime::FillRowRange(*table, 0, shown, out.initRows());
    out.setOmittedRows(table->num_rows() - shown);
  });
}

}  // namespace st
