// Charts of a st::DataFrame's numeric columns: lines, areas, bars, points.
//
//   st::DataFrame prices = cached_load();          // 10 million rows
//   st::line_chart(prices, {.x = "time", .y = {"bid", "ask"}});
//
//   st::Chart live = st::line_chart(first_rows, {.x = "t"});
//   for (...) live.add_rows(next_rows);             // streams onto the chart
//
// Points per pixel, not points per row: the page never gets more than a few
// points per pixel column of the plot. When a chart has more, the worker
// sends, for each pixel column and series, the first, last, lowest and
// highest point (the M4 reduction, data/m4.h), which draws the same
// picture. Zooming (drag across the plot; double-click resets) asks the
// worker for the visible x range again, at full resolution once it fits.
// The worker keeps the frame (shared, not copied, when its columns are
// doubles without nulls; other numeric columns are converted once) while
// the chart is shown.
//
// x is a column (int64, double or timestamp) or, by default, the row
// number. y is one or more columns (int64, double or bool), one series
// each, by default every numeric column but x; a null y is a gap in its
// line. Points are drawn in x order: a frame whose x is not sorted is
// sorted once (a copy). A name the frame does not have is
// std::out_of_range; a column of a type that cannot be charted is
// std::invalid_argument.
//
// A chart may not be shown inside a cached function (it answers the page's
// zoom queries for the run that shows it).
#pragma once

#include <memory>
#include <sluice/dataframe.hpp>
#include <string>
#include <vector>

namespace st {

struct ChartOptions {
  std::string x;               // the x column; empty: the row number
  std::vector<std::string> y;  // the series; empty: every numeric column but x
  int height = 0;              // pixels; 0: 300
  std::string key;             // identity, when two charts would otherwise be told apart by order
};

namespace detail {
struct ChartState;
}

// The handle a chart function returns, for streaming more points onto it.
class Chart {
 public:
  // Appends `rows` to the chart shown: it needs the chart's x and y columns
  // (by name; others are ignored), and its x values may not go back (a
  // std::invalid_argument). The page draws them without the chart being
  // sent again (the first append copies the chart's points into the
  // worker's own memory). Only during the run that showed the chart; after
  // it, std::logic_error.
  void add_rows(const DataFrame& rows);

  // Points per series now.
  std::size_t num_rows() const;

 private:
  friend struct detail::ChartState;
  explicit Chart(std::shared_ptr<detail::ChartState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::ChartState> state_;
};

Chart line_chart(const DataFrame& frame, const ChartOptions& options = {});
Chart area_chart(const DataFrame& frame, const ChartOptions& options = {});
Chart bar_chart(const DataFrame& frame, const ChartOptions& options = {});
Chart scatter_chart(const DataFrame& frame, const ChartOptions& options = {});

}  // namespace st
