// st::line_chart and friends over real WebSockets to the real broker
// (tests/apps/chart_app.cc): a 10,000,000-point chart arrives as a few
// points per pixel that keep its spike; zooming is answered with the
// points of the range, exact once they fit; malformed points queries get
// one error each and the session goes on; add_rows streams every appended
// point; timestamps arrive as milliseconds; a chart in an st::empty slot
// takes the slot's place; a rerun that shows the same cached frame keeps
// the chart's id, so the page's zoom keeps working.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/page_model.h"
#include "tests/support/status_macros.h"
#include "tests/support/ws_client.h"

namespace sluice::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::uint64_t kBigRows = 10'000'000;
constexpr double kSpikeRow = 7'654'321;
// What the worker reduces a chart's own points for (runtime/st_chart.cc).
constexpr std::uint64_t kDefaultPixels = 1'200;
// M4 keeps at most 5 rows per pixel column, plus one neighbour each side.
constexpr std::uint64_t kMaxReducedPoints = 5 * kDefaultPixels + 2;
constexpr double kDayMs = 86'400'000;
constexpr double k2026Ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// The big chart's value at row x.
double Big(double x) { return x == kSpikeRow ? 50.0 : std::sin(x / 100'000); }

// A chart's points as plain vectors, for assertions.
struct PointsSeen {
  double x_min = 0, x_max = 0;
  std::uint32_t pixels = 0;
  bool full = false;
  std::vector<double> x;
  std::vector<std::vector<double>> ys;
};

PointsSeen Seen(ipc::ChartPoints::Reader points) {
  PointsSeen seen{points.getXMin(), points.getXMax(), points.getPixels(), points.getFull(), {}, {}};
  for (double x : points.getX()) seen.x.push_back(x);
  for (auto y : points.getY()) {
    seen.ys.emplace_back();
    for (double v : y) seen.ys.back().push_back(v);
  }
  return seen;
}

class ChartOverWebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kChartApp, {"--cache-size", "256M"}));
    ASSERT_OK_AND_ASSIGN(session_, AppSession::Open(broker_->port()));
  }

  PageModel& page() { return session_->page(); }

  // The chart shown with `key`, or a failure.
  std::optional<ipc::Chart::Reader> Chart(std::string_view key) {
    std::string prefix = std::string("chart:key:") + std::string(key) + "#";
    std::optional<ipc::Chart::Reader> found;
    page().ForEachElement([&](const ElementPath&, ipc::Element::Reader e) {
      if (e.isChart() && std::string_view(e.getChart().getId().cStr()).starts_with(prefix)) {
        found = e.getChart();
      }
    });
    EXPECT_TRUE(found) << "no chart '" << key << "' on\n" << page().DebugString();
    return found;
  }
  std::string IdOf(std::string_view key) {
    std::optional<ipc::Chart::Reader> chart = Chart(key);
    return chart ? std::string(chart->getId().cStr()) : "";
  }

  // Sends a points query and waits for its answer; the query's id in `sent`.
  absl::StatusOr<ipc::QueryReply::Reader> Points(std::string_view id, double x_min, double x_max,
                                                 std::uint32_t pixels,
                                                 std::uint32_t* sent = nullptr) {
    std::uint32_t query = next_query_++;
    if (sent != nullptr) *sent = query;
    RETURN_IF_ERROR(session_->client().SendPointsQuery(query, id, x_min, x_max, pixels));
    RETURN_IF_ERROR(page().ReceiveUntilAnswered(session_->client(), query));
    std::vector<ipc::QueryReply::Reader> replies = page().RepliesTo(query);
    if (replies.size() != 1) return absl::InternalError("not one reply");
    return replies[0];
  }

  // A query that must be answered with an error and nothing else: a good
  // query sent after it is answered (replies come in order), and by then
  // the bad one has had exactly one reply, an error.
  void ExpectOneError(std::uint32_t query, std::string_view why) {
    SCOPED_TRACE(why);
    ASSERT_OK(page().ReceiveUntilAnswered(session_->client(), query));
    ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader good, Points(IdOf("area"), 0, 19, 100));
    EXPECT_TRUE(good.isPoints()) << why;
    std::vector<ipc::QueryReply::Reader> replies = page().RepliesTo(query);
    ASSERT_EQ(replies.size(), 1u) << why;
    EXPECT_TRUE(replies[0].isError()) << why << ": " << replies[0].toString().flatten().cStr();
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AppSession> session_;
  std::uint32_t next_query_ = 1;
};

TEST_F(ChartOverWebSocketTest, TenMillionPointChartArrivesSmallAndKeepsItsSpike) {
  std::optional<ipc::Chart::Reader> chart = Chart("big");
  ASSERT_TRUE(chart);
  EXPECT_EQ(chart->getRowCount(), kBigRows);
  EXPECT_EQ(chart->getKind(), ipc::Chart::Kind::LINE);
  EXPECT_EQ(chart->getHeight(), 240u);
  EXPECT_THAT(std::string(chart->getXLabel().cStr()), IsEmpty()) << "x is the row number";
  ASSERT_EQ(chart->getSeries().size(), 1u);
  EXPECT_EQ(std::string(chart->getSeries()[0].cStr()), "signal");
  EXPECT_LT(chart->totalSize().wordCount * 8, 256u << 10)
      << "ten million points arrive as a few per pixel";

  PointsSeen view = Seen(chart->getView());
  EXPECT_FALSE(view.full);
  ASSERT_EQ(view.ys.size(), 1u);
  ASSERT_EQ(view.ys[0].size(), view.x.size());
  EXPECT_LE(view.x.size(), kMaxReducedPoints);
  EXPECT_GT(view.x.size(), kDefaultPixels) << "at least one point per pixel column";
  EXPECT_EQ(view.x.front(), 0);
  EXPECT_EQ(view.x.back(), double(kBigRows - 1)) << "the view spans the whole range";
  bool spike = false;
  for (std::size_t i = 0; i < view.x.size(); ++i) {
    if (view.x[i] == kSpikeRow) spike = view.ys[0][i] == 50;
    EXPECT_EQ(view.ys[0][i], Big(view.x[i])) << "row " << view.x[i];
  }
  EXPECT_TRUE(spike) << "M4 keeps the one spike of ten million rows";
  EXPECT_FALSE(chart->hasTail()) << "nothing appended";
}

TEST_F(ChartOverWebSocketTest, ZoomIsAnsweredWithThePointsOfTheRangeExactOnceTheyFit) {
  std::string id = IdOf("big");
  // 1,001 rows on 1,000 pixels: every one, plus a neighbour each side.
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader near, Points(id, 5'000'000, 5'001'000, 1'000));
  ASSERT_TRUE(near.isPoints()) << near.toString().flatten().cStr();
  EXPECT_EQ(std::string(near.getElementId().cStr()), id);
  PointsSeen fine = Seen(near.getPoints());
  EXPECT_TRUE(fine.full);
  EXPECT_EQ(fine.pixels, 1'000u);
  EXPECT_EQ(fine.x_min, 5'000'000);
  EXPECT_EQ(fine.x_max, 5'001'000);
  ASSERT_EQ(fine.x.size(), 1'003u);
  ASSERT_EQ(fine.ys.size(), 1u);
  for (std::size_t i = 0; i < fine.x.size(); ++i) {
    EXPECT_EQ(fine.x[i], 4'999'999.0 + double(i));
    EXPECT_EQ(fine.ys[0][i], std::sin(fine.x[i] / 100'000)) << "row " << fine.x[i];
  }

  // 4,000 rows on 1,000 pixels is the most sent unreduced.
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader edge, Points(id, 100, 100 + 3'997, 1'000));
  ASSERT_TRUE(edge.isPoints());
  EXPECT_TRUE(edge.getPoints().getFull());
  EXPECT_EQ(edge.getPoints().getX().size(), 4'000u);

  // A million rows around the spike on 800 pixels: reduced, within the
  // range (and one neighbour each side), with the spike.
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader wide, Points(id, 7'000'000, 8'000'000, 800));
  ASSERT_TRUE(wide.isPoints());
  PointsSeen coarse = Seen(wide.getPoints());
  EXPECT_FALSE(coarse.full);
  EXPECT_LE(coarse.x.size(), 5u * 800 + 2);
  ASSERT_FALSE(coarse.x.empty());
  EXPECT_GE(coarse.x.front(), 6'999'999);
  EXPECT_LE(coarse.x.back(), 8'000'001);
  bool spike = false;
  for (std::size_t i = 0; i < coarse.x.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(coarse.x[i - 1], coarse.x[i]) << "x ascending";
    }
    if (coarse.x[i] == kSpikeRow) spike = coarse.ys[0][i] == 50;
    EXPECT_EQ(coarse.ys[0][i], Big(coarse.x[i]));
  }
  EXPECT_TRUE(spike);

  // Past the end: the last rows, not an error.
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader past, Points(id, 9'999'990, 2e7, 500));
  ASSERT_TRUE(past.isPoints());
  EXPECT_EQ(past.getPoints().getX().size(), 11u);
  EXPECT_EQ(past.getPoints().getX()[10], double(kBigRows - 1));
  EXPECT_TRUE(page().HasText("end of app")) << "a zoom does not rerun";
  EXPECT_EQ(page().finished_runs(), 1);
}

TEST_F(ChartOverWebSocketTest, MalformedPointsQueriesGetOneErrorEachAndTheSessionGoesOn) {
  const std::string id = IdOf("big");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    std::string why;
    std::string id;
    double x_min, x_max;
    std::uint32_t pixels;
  };
  const std::vector<Case> cases = {
      {"pixels 0", id, 0, 100, 0},
      {"pixels past 8192", id, 0, 100, 8'193},
      {"xMin past xMax", id, 200, 100, 100},
      {"NaN xMin", id, nan, 100, 100},
      {"NaN xMax", id, 0, nan, 100},
      {"infinite xMax", id, 0, inf, 100},
      {"infinite xMin", id, -inf, 0, 100},
      {"an unknown chart", "chart:key:nothing#1", 0, 100, 100},
      {"an id without its generation", "chart:key:big", 0, 100, 100},
      {"an old generation", "chart:key:big#999999", 0, 100, 100},
  };
  for (const Case& c : cases) {
    std::uint32_t query = next_query_++;
    ASSERT_OK(session_->client().SendPointsQuery(query, c.id, c.x_min, c.x_max, c.pixels));
    ExpectOneError(query, c.why);
  }
  std::uint32_t rows = next_query_++;
  ASSERT_OK(session_->client().SendRowsQuery(rows, id, 0, 10));
  ExpectOneError(rows, "a rows query to a chart");
  EXPECT_THAT(std::string(page().RepliesTo(rows)[0].getError().cStr()), HasSubstr("points"));

  // 8,192 pixels is allowed.
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader widest, Points(id, 0, 1e6, 8'192));
  EXPECT_TRUE(widest.isPoints()) << widest.toString().flatten().cStr();
  ASSERT_OK(session_->Change("Appends per second", WidgetInput::Number(3)));
  EXPECT_TRUE(page().HasText("end of app")) << page().DebugString();
  EXPECT_THAT(page().Exceptions(), IsEmpty());
}

// Every point of the live chart as the page has it: the view's rows
// before tailBegin, then the tail.
std::vector<std::pair<double, double>> LivePoints(ipc::Chart::Reader chart) {
  std::vector<std::pair<double, double>> points;
  PointsSeen view = Seen(chart.getView());
  for (std::size_t i = 0; i < view.x.size(); ++i) {
    if (view.x[i] < double(chart.getTailBegin())) points.emplace_back(view.x[i], view.ys[0][i]);
  }
  if (chart.hasTail()) {
    PointsSeen tail = Seen(chart.getTail());
    for (std::size_t i = 0; i < tail.x.size(); ++i) points.emplace_back(tail.x[i], tail.ys[0][i]);
  }
  return points;
}

TEST_F(ChartOverWebSocketTest, AddRowsSendsEveryAppendedPointInTheTail) {
  constexpr int kAppended = 300;
  ASSERT_OK(session_->Change("Rows to append", WidgetInput::Number(kAppended)));
  ASSERT_TRUE(page().HasText("live chart rows: 310")) << page().DebugString();
  std::optional<ipc::Chart::Reader> chart = Chart("live");
  ASSERT_TRUE(chart);
  EXPECT_EQ(chart->getRowCount(), 10u + kAppended);
  EXPECT_EQ(chart->getTailBegin(), 10u) << "the first ten rows were shown before the appends";
  ASSERT_TRUE(chart->hasTail());
  EXPECT_TRUE(chart->getTail().getFull());
  std::vector<std::pair<double, double>> points = LivePoints(*chart);
  ASSERT_EQ(points.size(), 10u + kAppended);
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(points[i].first, double(i));
    EXPECT_EQ(points[i].second, double(i) * double(i));
  }
}

TEST_F(ChartOverWebSocketTest, AddRowsPastTheTailLimitReducesTheViewAgainAndKeepsTheLastRow) {
  constexpr std::uint64_t kAppended = 6'000;  // past 4 points a pixel for 1,200 pixels
  ASSERT_OK(
      session_->Change("Rows to append", WidgetInput::Number(kAppended), After(kStepTimeout * 4)));
  ASSERT_TRUE(page().HasText("live chart rows: 6010")) << page().DebugString();
  std::optional<ipc::Chart::Reader> chart = Chart("live");
  ASSERT_TRUE(chart);
  const std::uint64_t rows = 10 + kAppended;
  EXPECT_EQ(chart->getRowCount(), rows);
  PointsSeen view = Seen(chart->getView());
  EXPECT_GT(chart->getTailBegin(), 10u) << "the view was reduced again with the appended rows";
  EXPECT_TRUE(!view.full || view.x.size() <= 4 * kDefaultPixels + 2);
  EXPECT_LE(view.x.size(), kMaxReducedPoints);
  ASSERT_FALSE(view.x.empty());
  EXPECT_EQ(view.x.front(), 0);
  EXPECT_EQ(view.x.back(), double(chart->getTailBegin() - 1))
      << "the view ends where the tail begins";
  for (std::size_t i = 0; i < view.x.size(); ++i) EXPECT_EQ(view.ys[0][i], view.x[i] * view.x[i]);
  // The tail: every row since, ending with the last appended.
  std::uint64_t tail_rows = rows - chart->getTailBegin();
  if (tail_rows > 0) {
    ASSERT_TRUE(chart->hasTail());
    PointsSeen tail = Seen(chart->getTail());
    ASSERT_EQ(tail.x.size(), tail_rows);
    for (std::size_t i = 0; i < tail.x.size(); ++i) {
      EXPECT_EQ(tail.x[i], double(chart->getTailBegin() + i));
      EXPECT_EQ(tail.ys[0][i], tail.x[i] * tail.x[i]);
    }
    EXPECT_EQ(tail.x.back(), double(rows - 1));
  } else {
    EXPECT_EQ(view.x.back(), double(rows - 1));
  }
  // The live chart answers zooms over its appended rows too.
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader zoom, Points(IdOf("live"), 5'000, 6'009, 1'000));
  ASSERT_TRUE(zoom.isPoints()) << zoom.toString().flatten().cStr();
  PointsSeen zoomed = Seen(zoom.getPoints());
  EXPECT_TRUE(zoomed.full);
  ASSERT_EQ(zoomed.x.size(), 1'011u);  // 5,000..6,009 and 4,999 before
  EXPECT_EQ(zoomed.x.back(), double(rows - 1));
  EXPECT_EQ(zoomed.ys[0].back(), double(rows - 1) * double(rows - 1));
}

TEST_F(ChartOverWebSocketTest, TimestampsArriveAsMillisecondsSinceTheEpoch) {
  std::optional<ipc::Chart::Reader> chart = Chart("daily");
  ASSERT_TRUE(chart);
  EXPECT_TRUE(chart->getXTime());
  EXPECT_EQ(std::string(chart->getXLabel().cStr()), "day");
  std::vector<std::string> series;
  for (auto name : chart->getSeries()) series.emplace_back(name.cStr());
  EXPECT_THAT(series, ElementsAre("price", "volume"));
  EXPECT_EQ(chart->getRowCount(), 50u);
  PointsSeen view = Seen(chart->getView());
  EXPECT_TRUE(view.full);
  ASSERT_EQ(view.x.size(), 50u);
  ASSERT_EQ(view.ys.size(), 2u);
  for (std::size_t d = 0; d < 50; ++d) {
    EXPECT_EQ(view.x[d], k2026Ms + double(d) * kDayMs);
    EXPECT_EQ(view.ys[0][d], 100 + double(d) * 0.5);
    EXPECT_EQ(view.ys[1][d], 1000 + double(d) * 10);
  }
  // A zoom is asked for in the same milliseconds.
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader zoom,
                       Points(IdOf("daily"), k2026Ms + 10 * kDayMs, k2026Ms + 12 * kDayMs, 300));
  ASSERT_TRUE(zoom.isPoints());
  PointsSeen zoomed = Seen(zoom.getPoints());
  ASSERT_EQ(zoomed.x.size(), 5u);  // days 9..13
  EXPECT_EQ(zoomed.x.front(), k2026Ms + 9 * kDayMs);
}

TEST_F(ChartOverWebSocketTest, ChartInASlotTakesTheSlotsPlace) {
  std::vector<std::string> order;
  page().ForEachElement([&](const ElementPath&, ipc::Element::Reader e) {
    if (e.isChart()) {
      std::string id = e.getChart().getId().cStr();
      order.push_back(id.substr(0, id.find('#')));
    } else if (e.isWidget()) {
      order.push_back(std::string("widget:") + e.getWidget().getLabel().cStr());
    }
  });
  EXPECT_THAT(order, ElementsAre("widget:Show the big chart", "chart:key:big", "chart:key:daily",
                                 "chart:key:area", "chart:key:bars", "chart:key:scatter",
                                 "chart:key:slotted", "widget:Appends per second",
                                 "widget:Rows to append", "chart:key:live"));
  EXPECT_FALSE(page().HasText("the slot waits")) << page().DebugString();
  std::optional<ipc::Chart::Reader> slotted = Chart("slotted");
  ASSERT_TRUE(slotted);
  EXPECT_EQ(slotted->getRowCount(), 5u);
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader zoom, Points(IdOf("slotted"), 1, 3, 100));
  ASSERT_TRUE(zoom.isPoints()) << "the slot's chart answers zooms";
  EXPECT_EQ(zoom.getPoints().getX().size(), 5u);
  EXPECT_THAT(page().protocol_errors(), IsEmpty());
}

TEST_F(ChartOverWebSocketTest, RerunWithTheSameCachedFrameKeepsTheChartsIdAndItsZoom) {
  // The first run computed the frame (a miss: the app's own buffers); the
  // reruns get it from the shared cache (a mapping): the same points.
  const std::string before = IdOf("big");
  const std::string daily = IdOf("daily");
  ASSERT_OK(session_->Change("Appends per second", WidgetInput::Number(5)));
  ASSERT_EQ(page().finished_runs(), 2);
  EXPECT_EQ(IdOf("big"), before) << "the same cached frame is the same chart";
  ASSERT_OK(session_->Change("Appends per second", WidgetInput::Number(6)));
  ASSERT_EQ(page().finished_runs(), 3);
  EXPECT_EQ(IdOf("big"), before) << "the same cached frame is the same chart";
  EXPECT_EQ(IdOf("daily"), daily) << "a frame made again each run, of the same points";
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader zoom, Points(before, 7'654'000, 7'655'000, 1'000));
  ASSERT_TRUE(zoom.isPoints()) << zoom.toString().flatten().cStr();
  PointsSeen fine = Seen(zoom.getPoints());
  EXPECT_TRUE(fine.full);
  bool spike = false;
  for (std::size_t i = 0; i < fine.x.size(); ++i)
    spike |= fine.x[i] == kSpikeRow && fine.ys[0][i] == 50;
  EXPECT_TRUE(spike);

  // Hiding the chart and showing it again is a new chart: the old id is gone.
  ASSERT_OK(session_->Change("Show the big chart", WidgetInput::Checked(false)));
  ASSERT_OK(session_->Change("Show the big chart", WidgetInput::Checked(true)));
  EXPECT_NE(IdOf("big"), before);
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader gone, Points(before, 0, 10, 100));
  EXPECT_TRUE(gone.isError());
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader fresh, Points(IdOf("big"), 0, 10, 100));
  EXPECT_TRUE(fresh.isPoints());
}

}  // namespace
}  // namespace sluice::testing
