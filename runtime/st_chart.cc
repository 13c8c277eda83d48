// st::line_chart, area_chart, bar_chart, scatter_chart (sluice/charts.hpp):
// a chart element whose points come from data/chart_rows.h, in the element
// for the whole x range and by query (page.capnp PointsQuery) for a zoom,
// and a handle whose add_rows streams more points onto the chart shown.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/chart_rows.h"
#include "data/frame_ops.h"
#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "runtime/frame_access.h"
#include "runtime/query_targets.h"
#include "sluice/charts.hpp"
#include "util/strings.h"

namespace st {

using sluice::ipc::Element;

namespace detail {
namespace {

namespace data = sluice::data;

// The width the element's own points are reduced for: about the widest
// plot a page column gives at one device pixel per CSS pixel. A wider plot
// (or a denser screen) asks again at its own width.
constexpr std::uint32_t kDefaultPixels = 1'200;
// PointsQuery.pixels is 1..kMaxPixels.
constexpr std::uint32_t kMaxPixels = 8'192;
// Series per chart: each adds its own points to every answer.
constexpr std::size_t kMaxSeries = 16;
// One answer reduces for at most this many pixel columns over all series
// (a wider plot of many series gets its points for fewer columns): about
// 5 MiB of points at most.
constexpr std::uint64_t kMaxSeriesPixels = 4 * kMaxPixels;
// Reductions may take at most half the worker's time: one that took more
// than kCheapReduction (about 50M points of series; 10M take 10 ms) is
// followed by a pause as long as it took, in which the chart answers
// "ask again shortly" (the page does), instead of a page keeping a core
// busy with one wide zoom after another.
constexpr double kMaxReduceShare = 0.5;
constexpr std::chrono::milliseconds kCheapReduction{50};
// add_rows sends the rows appended since the element's points were
// reduced, unreduced, until there are this many; then it reduces again.
constexpr std::uint64_t kMaxTailRows = data::kFullPointsPerPixel * kDefaultPixels;

const char* KindName(sluice::ipc::Chart::Kind kind) {
  switch (kind) {
    case sluice::ipc::Chart::Kind::AREA:
      return "area_chart";
    case sluice::ipc::Chart::Kind::BAR:
      return "bar_chart";
    case sluice::ipc::Chart::Kind::SCATTER:
      return "scatter_chart";
    case sluice::ipc::Chart::Kind::LINE:
      break;
  }
  return "line_chart";
}

// One numeric column as doubles: the column's own values when they are
// doubles without nulls, else a converted copy (NaN for null).
struct Values {
  std::span<const double> view;
  std::vector<double> owned;

  void Own() {
    if (owned.empty() && !view.empty()) owned.assign(view.begin(), view.end());
    view = owned;
  }
  void Append(std::span<const double> more) {
    Own();
    owned.insert(owned.end(), more.begin(), more.end());
    view = owned;
  }
};

bool Chartable(data::ColumnType type, bool as_x) {
  switch (type) {
    case data::ColumnType::kInt64:
    case data::ColumnType::kDouble:
      return true;
    case data::ColumnType::kTimestamp:
      return as_x;
    case data::ColumnType::kBool:
      return !as_x;
    case data::ColumnType::kString:
      break;
  }
  return false;
}

// Timestamps become milliseconds since the epoch (what the page's dates take).
Values ToValues(const data::Column& column) {
  Values values;
  if (column.type() == data::ColumnType::kDouble && column.null_count() == 0) {
    values.view = column.doubles();
    return values;
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  values.owned.resize(column.size());
  for (std::size_t row = 0; row < column.size(); ++row) {
    if (column.is_null(row)) {
      values.owned[row] = nan;
      continue;
    }
    switch (column.type()) {
      case data::ColumnType::kInt64:
        values.owned[row] = static_cast<double>(column.int64(row));
        break;
      case data::ColumnType::kTimestamp:
        values.owned[row] = static_cast<double>(column.timestamp(row)) / 1e6;
        break;
      case data::ColumnType::kDouble:
        values.owned[row] = column.float64(row);
        break;
      case data::ColumnType::kBool:
        values.owned[row] = column.boolean(row) ? 1 : 0;
        break;
      case data::ColumnType::kString:
        break;
    }
  }
  values.view = values.owned;
  return values;
}

const data::Column& Find(const data::Table& table, std::string_view name, bool as_x,
                         std::string_view function) {
  const data::Column* column = table.Find(name);
  if (column == nullptr) {
    throw std::out_of_range(
        sluice::StrCat("st::", function, ": the frame has no column '", name, "'"));
  }
  if (!Chartable(column->type(), as_x)) {
    throw std::invalid_argument(sluice::StrCat(
        "st::", function, ": column '", name, "' holds ", data::ColumnTypeName(column->type()),
        as_x ? "; x is an int64, double or timestamp column"
             : "; a series is an int64, double or bool column"));
  }
  return *column;
}

// The points of some rows, as the page gets them.
struct Points {
  double x_min = 0, x_max = 0;
  std::uint32_t pixels = 0;
  bool full = true;
  std::vector<double> x;
  std::vector<std::vector<double>> ys;
};

void Fill(const Points& points, sluice::ipc::ChartPoints::Builder out) {
  out.setXMin(points.x_min);
  out.setXMax(points.x_max);
  out.setPixels(points.pixels);
  out.setFull(points.full);
  auto x = out.initX(static_cast<unsigned>(points.x.size()));
  for (unsigned i = 0; i < points.x.size(); ++i) x.set(i, points.x[i]);
  auto ys = out.initY(static_cast<unsigned>(points.ys.size()));
  for (unsigned s = 0; s < points.ys.size(); ++s) {
    auto y = ys.init(s, static_cast<unsigned>(points.ys[s].size()));
    for (unsigned i = 0; i < points.ys[s].size(); ++i) y.set(i, points.ys[s][i]);
  }
}

}  // namespace

// A shown chart's points and where it is: shared by its handle (add_rows)
// and its query target (zoom).
struct ChartState {
  sluice::ipc::Chart::Kind kind = sluice::ipc::Chart::Kind::LINE;
  std::string x_name;  // empty: the row number
  bool x_time = false;
  std::vector<std::string> y_names;
  int height = 0;
  std::shared_ptr<const data::Table> table;  // keeps borrowed values alive
  Values x;                                  // empty view: the row number
  std::vector<Values> ys;
  std::uint64_t rows = 0;
  bool appended = false;

  // The element as last set: its id, place, and the points it carries for
  // the rows [0, view_rows) reduced.
  std::string id;
  sluice::runtime::ElementRef ref;
  std::shared_ptr<const Points> view;
  std::uint64_t view_rows = 0;

  static Chart Handle(std::shared_ptr<ChartState> state) { return Chart(std::move(state)); }

  data::ChartSeries Series() const {
    data::ChartSeries series{x.view, {}, rows};
    for (const Values& y : ys) series.ys.push_back(y.view);
    return series;
  }

  // The points of rows [from, rows) as they are, or of every row reduced
  // for the whole x range.
  Points Tail(std::uint64_t from) const {
    data::ChartSeries series = Series();
    Points points;
    points.pixels = kDefaultPixels;
    points.x_min = from < rows ? series.XAt(from) : 0;
    points.x_max = rows > 0 ? series.XAt(rows - 1) : 0;
    points.ys.resize(ys.size());
    for (std::uint64_t row = from; row < rows; ++row) points.x.push_back(series.XAt(row));
    for (std::size_t s = 0; s < ys.size(); ++s) {
      points.ys[s].assign(ys[s].view.begin() + static_cast<std::ptrdiff_t>(from), ys[s].view.end());
    }
    return points;
  }
  Points Reduce(double x_min, double x_max, std::uint32_t pixels) const {
    data::ChartSeries series = Series();
    data::ChartRows chosen = data::RowsToDraw(series, x_min, x_max, pixels);
    Points points;
    points.x_min = x_min;
    points.x_max = x_max;
    points.pixels = pixels;
    points.full = chosen.full;
    points.x.reserve(chosen.rows.size());
    for (std::uint64_t row : chosen.rows) points.x.push_back(series.XAt(row));
    points.ys.resize(ys.size());
    for (std::size_t s = 0; s < ys.size(); ++s) {
      points.ys[s].reserve(chosen.rows.size());
      for (std::uint64_t row : chosen.rows) points.ys[s].push_back(series.ys[s][row]);
    }
    return points;
  }
  Points Whole() const {
    if (rows == 0)
      return Points{.pixels = kDefaultPixels, .ys = std::vector<std::vector<double>>(ys.size())};
    data::ChartSeries series = Series();
    return Reduce(series.XAt(0), series.XAt(rows - 1), kDefaultPixels);
  }

  void FillElement(Element::Builder e) const {
    auto chart = e.initChart();
    chart.adoptId(sluice::ipc::NewText(chart, id));
    chart.setKind(kind);
    chart.setHeight(static_cast<std::uint32_t>(height));
    chart.adoptXLabel(sluice::ipc::NewText(chart, x_name));
    chart.setXTime(x_time);
    auto series = chart.initSeries(static_cast<unsigned>(y_names.size()));
    for (unsigned s = 0; s < y_names.size(); ++s) {
      series.set(s, capnp::Text::Reader(y_names[s].data(), y_names[s].size()));
    }
    chart.setRowCount(rows);
    Fill(*view, chart.initView());
    chart.setTailBegin(view_rows);
    if (view_rows < rows) Fill(Tail(view_rows), chart.initTail());
  }
};

namespace {

using sluice::runtime::PointsQuery;

// Byte for byte (a NaN gap is the same NaN wherever it came from): one
// pass over the values, less than reducing them again would take.
bool SameValues(std::span<const double> a, std::span<const double> b) {
  return a.size() == b.size() && (a.data() == b.data() || a.empty() ||
                                  std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

bool SamePoints(const ChartState& a, const ChartState& b) {
  if (a.rows != b.rows || a.x_time != b.x_time || a.ys.size() != b.ys.size() ||
      !SameValues(a.x.view, b.x.view)) {
    return false;
  }
  for (std::size_t s = 0; s < a.ys.size(); ++s) {
    if (!SameValues(a.ys[s].view, b.ys[s].view)) return false;
  }
  return true;
}
using sluice::runtime::QueryReplies;

class ChartTarget final : public sluice::runtime::QueryTarget {
 public:
  explicit ChartTarget(std::shared_ptr<ChartState> state) : state_(std::move(state)) {}

  // The same points, shown the same way, and no rows appended to either:
  // the page's points (and its zoom) stay right. The same frame is known
  // without reading a value; a new frame of the same points is compared:
  // an st::cache_data value is the app's own frame on the run that
  // computed it and a mapping of the cache from the next run on, and an
  // uncached frame is new every run.
  bool SameAs(const QueryTarget& next) const override {
    const auto* other = dynamic_cast<const ChartTarget*>(&next);
    if (other == nullptr) return false;
    const ChartState& a = *state_;
    const ChartState& b = *other->state_;
    return !a.appended && !b.appended && a.kind == b.kind && a.x_name == b.x_name &&
           a.y_names == b.y_names && a.height == b.height &&
           (a.table == b.table || data::SameBuffers(*a.table, *b.table) || SamePoints(a, b));
  }
  void Inherit(QueryTarget& before) override {
    if (auto* chart = dynamic_cast<ChartTarget*>(&before)) {
      state_->view = chart->state_->view;
      state_->view_rows = chart->state_->view_rows;
    }
  }

  void Answer(QueryReplies& replies) override {
    const auto* query = std::get_if<PointsQuery>(&replies.query().what);
    if (query == nullptr) {
      replies.Error("a chart answers only points queries");
      return;
    }
    if (query->pixels == 0 || query->pixels > kMaxPixels) {
      replies.Error(sluice::StrCat("a points query is for a plot 1 to ", kMaxPixels,
                                   " pixels wide, not ", query->pixels));
      return;
    }
    if (!std::isfinite(query->x_min) || !std::isfinite(query->x_max) ||
        query->x_min > query->x_max) {
      replies.Error("a points query needs a finite x range whose start is not past its end");
      return;
    }
    auto now = std::chrono::steady_clock::now();
    if (now < last_end_ + last_took_ * (1 / kMaxReduceShare - 1)) {
      replies.Error("the chart was redrawn a moment ago; ask again shortly");
      return;
    }
    std::uint32_t pixels = static_cast<std::uint32_t>(std::min<std::uint64_t>(
        query->pixels, kMaxSeriesPixels / std::max<std::size_t>(state_->ys.size(), 1)));
    Points points = state_->Reduce(query->x_min, query->x_max, pixels);
    last_end_ = std::chrono::steady_clock::now();
    last_took_ = last_end_ - now;
    if (last_took_ < kCheapReduction) last_took_ = {};
    replies.Send([&](sluice::ipc::QueryReply::Builder reply) { Fill(points, reply.initPoints()); });
  }

 private:
  std::shared_ptr<ChartState> state_;
  std::chrono::steady_clock::time_point last_end_{};
  std::chrono::steady_clock::duration last_took_{};
};

// x in ascending order, every one finite: as given, or sorted once (a
// copy) without the rows whose x is null, NaN or infinite (no pixel column
// holds them; one infinite x would squeeze every other point into one).
void SortByX(ChartState& state) {
  if (state.x.view.empty()) return;
  std::span<const double> x = state.x.view;
  bool sorted = true;
  for (std::size_t row = 0; row < x.size() && sorted; ++row) {
    if (!std::isfinite(x[row]) || (row > 0 && x[row] < x[row - 1])) sorted = false;
  }
  if (sorted) return;
  std::vector<std::uint64_t> order;
  order.reserve(x.size());
  for (std::uint64_t row = 0; row < x.size(); ++row) {
    if (std::isfinite(x[row])) order.push_back(row);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint64_t a, std::uint64_t b) { return x[a] < x[b]; });
  auto take = [&](Values& values) {
    std::vector<double> taken(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) taken[i] = values.view[order[i]];
    values.owned = std::move(taken);
    values.view = values.owned;
  };
  take(state.x);
  for (Values& y : state.ys) take(y);
  state.rows = order.size();
}

void CheckHeight(int height, std::string_view function) {
  if (height < 0 || height > 10'000) {
    throw std::invalid_argument(sluice::StrCat("st::", function, ": height ", height,
                                               " is not 0 (default) to 10000 pixels"));
  }
}

std::string Readout(Element::Reader e) {
  auto chart = e.getChart();
  std::string text;
  switch (chart.getKind()) {
    case sluice::ipc::Chart::Kind::AREA:
      text = "Area chart of ";
      break;
    case sluice::ipc::Chart::Kind::BAR:
      text = "Bar chart of ";
      break;
    case sluice::ipc::Chart::Kind::SCATTER:
      text = "Scatter chart of ";
      break;
    case sluice::ipc::Chart::Kind::LINE:
      text = "Line chart of ";
      break;
  }
  auto series = chart.getSeries();
  for (unsigned s = 0; s < series.size(); ++s) {
    if (s > 0) text += ", ";
    text += sluice::ipc::ViewOf(series[s]);
  }
  text += " by ";
  text += chart.getXLabel().size() > 0 ? std::string(sluice::ipc::ViewOf(chart.getXLabel()))
                                       : std::string("row");
  text += sluice::StrCat(", ", chart.getRowCount(), " points");
  return text;
}

// A chart answers the zoom queries of the run that shows it: not in
// cached functions.
const bool kChartKind = sluice::runtime::RegisterElementKind(
    {Element::CHART, false,
     [](Element::Reader e) -> std::optional<std::string> { return Readout(e); }});

}  // namespace

Chart Show(sluice::ipc::Chart::Kind kind, const DataFrame& frame, const ChartOptions& options) {
  const char* function = KindName(kind);
  CheckHeight(options.height, function);
  auto& runner = sluice::runtime::AppRunner::Current();
  runner.CheckInterrupt();
  auto state = std::make_shared<ChartState>();
  state->kind = kind;
  state->height = options.height;
  state->table = sluice::runtime::TableOf(frame);
  const data::Table& table = *state->table;
  state->rows = table.num_rows();
  if (!options.x.empty()) {
    const data::Column& x = Find(table, options.x, /*as_x=*/true, function);
    state->x_name = options.x;
    state->x_time = x.type() == data::ColumnType::kTimestamp;
    state->x = ToValues(x);
  }
  state->y_names = options.y;
  if (state->y_names.empty()) {
    for (const data::Column& column : table.columns()) {
      bool numeric =
          column.type() == data::ColumnType::kInt64 || column.type() == data::ColumnType::kDouble;
      if (numeric && column.name() != options.x) state->y_names.push_back(column.name());
    }
    if (state->y_names.empty()) {
      throw std::invalid_argument(sluice::StrCat(
          "st::", function, ": the frame has no int64 or double column to draw besides x"));
    }
  }
  if (state->y_names.size() > kMaxSeries) {
    throw std::invalid_argument(sluice::StrCat("st::", function, ": ", state->y_names.size(),
                                               " series; a chart draws at most ", kMaxSeries,
                                               " (pass .y to choose)"));
  }
  for (const std::string& name : state->y_names) {
    state->ys.push_back(ToValues(Find(table, name, /*as_x=*/false, function)));
  }
  SortByX(*state);

  auto target = std::make_shared<ChartTarget>(state);
  // Add() lets the target take the last run's points when it shows the same.
  state->id = runner.queries().Add("chart", "", options.key, target);
  if (state->view == nullptr) {
    state->view = std::make_shared<const Points>(state->Whole());
    state->view_rows = state->rows;
  }
  sluice::runtime::Path path = runner.Emit([&](Element::Builder e) { state->FillElement(e); });
  state->ref = runner.Ref(std::move(path));
  return ChartState::Handle(std::move(state));
}

}  // namespace detail

void Chart::add_rows(const DataFrame& frame) {
  detail::ChartState& state = *state_;
  auto& runner = sluice::runtime::AppRunner::Current();
  runner.CheckReplaceable(state.ref);
  const char* function = "Chart::add_rows";
  std::shared_ptr<const sluice::data::Table> table = sluice::runtime::TableOf(frame);
  std::uint64_t added = table->num_rows();
  // Every column is checked and converted before the chart changes.
  std::optional<detail::Values> x;
  if (!state.x_name.empty()) {
    const sluice::data::Column& column =
        detail::Find(*table, state.x_name, /*as_x=*/true, function);
    if ((column.type() == sluice::data::ColumnType::kTimestamp) != state.x_time) {
      throw std::invalid_argument(
          sluice::StrCat("st::Chart::add_rows: x ('", state.x_name, "') is ",
                         sluice::data::ColumnTypeName(column.type()), " in these rows but ",
                         state.x_time ? "timestamp" : "a number", " in the chart"));
    }
    x = detail::ToValues(column);
    double last =
        state.rows > 0 ? state.x.view[state.rows - 1] : -std::numeric_limits<double>::infinity();
    for (double value : x->view) {
      if (!(value >= last) || !std::isfinite(value)) {
        throw std::invalid_argument(sluice::StrCat(
            "st::Chart::add_rows: x ('", state.x_name,
            "') must not go back, be null or be infinite: the chart's points are in x order"));
      }
      last = value;
    }
  }
  std::vector<detail::Values> ys;
  for (const std::string& name : state.y_names) {
    ys.push_back(detail::ToValues(detail::Find(*table, name, /*as_x=*/false, function)));
  }
  if (added == 0) return;
  state.appended = true;
  if (x) state.x.Append(x->view);
  for (std::size_t s = 0; s < ys.size(); ++s) state.ys[s].Append(ys[s].view);
  state.rows += added;
  state.table.reset();  // every value is the chart's own now
  if (state.rows - state.view_rows > detail::kMaxTailRows) {
    state.view = std::make_shared<const detail::Points>(state.Whole());
    state.view_rows = state.rows;
  }
  runner.Replace(state.ref, [&](Element::Builder e) { state.FillElement(e); });
}

std::size_t Chart::num_rows() const { return state_->rows; }

Chart line_chart(const DataFrame& frame, const ChartOptions& options) {
  return detail::Show(sluice::ipc::Chart::Kind::LINE, frame, options);
}
Chart area_chart(const DataFrame& frame, const ChartOptions& options) {
  return detail::Show(sluice::ipc::Chart::Kind::AREA, frame, options);
}
Chart bar_chart(const DataFrame& frame, const ChartOptions& options) {
  return detail::Show(sluice::ipc::Chart::Kind::BAR, frame, options);
}
Chart scatter_chart(const DataFrame& frame, const ChartOptions& options) {
  return detail::Show(sluice::ipc::Chart::Kind::SCATTER, frame, options);
}

}  // namespace st
