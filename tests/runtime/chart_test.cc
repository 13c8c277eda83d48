// st::line_chart and friends through a fake channel: what a chart refuses
// and how the app sees it (the exception shown in its place), and what the
// page gets for frames that are not already x-ordered numbers (unsorted x,
// null x, null y). The same charts over a real broker:
// tests/broker/chart_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "runtime/app_runner.h"
#include "sluice/st.hpp"
#include "tests/runtime/fake_channel.h"
#include "tests/runtime/runner_test_base.h"
#include "tests/support/page_model.h"

namespace sluice::runtime {
namespace {

using ::testing::ElementsAre;
using testing::FakeChannel;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::PageModel;
using ::testing::SizeIs;

std::vector<double> Doubles(capnp::List<double>::Reader list) {
  std::vector<double> values;
  for (double v : list) values.push_back(v);
  return values;
}

class ChartTest : public RunnerTest {
 protected:
  void Click(std::string_view label) {
    std::optional<testing::WidgetInfo> widget = page_.FindWidget(label);
    ASSERT_TRUE(widget) << page_.DebugString();
    Serve(WidgetChangeCommand{.widget_id = widget->id, .value = Clicked{}});
  }

  // The charts on the page, in page order.
  std::vector<ipc::Chart::Reader> Charts() const {
    std::vector<ipc::Chart::Reader> charts;
    page_.ForEachElement([&](const testing::ElementPath&, ipc::Element::Reader e) {
      if (e.isChart()) charts.push_back(e.getChart());
    });
    return charts;
  }
};

st::DataFrame XY(std::vector<std::int64_t> x, std::vector<double> y,
                 const std::vector<bool>& y_nulls = {}) {
  st::DataFrame frame;
  frame.add("x", st::Column<std::int64_t>(std::move(x)));
  frame.add("y", st::Column<double>(std::move(y)), y_nulls);
  return frame;
}

// ---- what a chart refuses ---------------------------------------------------

void MissingYApp() { st::line_chart(XY({1, 2}, {1, 2}), {.x = "x", .y = {"y", "price"}}); }

TEST_F(ChartTest, YColumnTheFrameDoesNotHaveIsAnOutOfRange) {
  Start(MissingYApp);
  ExpectException("out_of_range", "no column 'price'");
  EXPECT_THAT(Charts(), IsEmpty());
}

void MissingXApp() { st::scatter_chart(XY({1, 2}, {1, 2}), {.x = "time"}); }

TEST_F(ChartTest, XColumnTheFrameDoesNotHaveIsAnOutOfRange) {
  Start(MissingXApp);
  ExpectException("out_of_range", "no column 'time'");
}

void StringYApp() {
  st::DataFrame frame = XY({1, 2}, {1, 2});
  frame.add("name", std::vector<std::string>{"a", "b"});
  st::line_chart(frame, {.x = "x", .y = {"name"}});
}

TEST_F(ChartTest, StringColumnAsASeriesIsAnInvalidArgument) {
  Start(StringYApp);
  ExpectException("invalid_argument", "'name' holds");
  EXPECT_THAT(Charts(), IsEmpty());
}

void StringXApp() {
  st::DataFrame frame = XY({1, 2}, {1, 2});
  frame.add("name", std::vector<std::string>{"a", "b"});
  st::bar_chart(frame, {.x = "name"});
}

TEST_F(ChartTest, StringColumnAsXIsAnInvalidArgument) {
  Start(StringXApp);
  ExpectException("invalid_argument", "'name' holds");
}

st::DataFrame Wide(int columns) {
  st::DataFrame frame;
  for (int c = 0; c < columns; ++c) {
    frame.add("s" + std::to_string(c), st::Column<double>(std::vector<double>{1.0 * c, 2.0 * c}));
  }
  return frame;
}

void SixteenSeriesApp() { st::line_chart(Wide(16)); }
void SeventeenSeriesApp() { st::line_chart(Wide(17)); }

TEST_F(ChartTest, SixteenSeriesAreDrawnAndSeventeenAreAnInvalidArgument) {
  Start(SixteenSeriesApp);
  ASSERT_THAT(Charts(), SizeIs(1)) << page_.DebugString();
  EXPECT_EQ(Charts()[0].getSeries().size(), 16u);
  EXPECT_EQ(Charts()[0].getView().getY().size(), 16u);

  FakeChannel channel;
  PageModel page;
  AppRunner runner(channel, SeventeenSeriesApp);
  channel.Queue(StartCommand{.session_id = "seventeen"});
  runner.ServeOne();
  channel.ApplyNewTo(page);
  ASSERT_THAT(page.Exceptions(), SizeIs(1)) << page.DebugString();
  EXPECT_THAT(page.Exceptions()[0].type, HasSubstr("invalid_argument"));
  EXPECT_THAT(page.Exceptions()[0].message, HasSubstr("17 series"));
}

int g_rows_after_refusal = -1;

void XGoesBackApp() {
  st::Chart chart = st::line_chart(XY({1, 2, 3}, {1, 4, 9}), {.x = "x"});
  chart.add_rows(XY({4}, {16}));
  try {
    chart.add_rows(XY({5, 2}, {25, 4}));
  } catch (const std::invalid_argument&) {
    g_rows_after_refusal = static_cast<int>(chart.num_rows());
    throw;
  }
}

TEST_F(ChartTest, AddRowsWhoseXGoesBackIsAnInvalidArgumentAndChangesNothing) {
  Start(XGoesBackApp);
  ExpectException("invalid_argument", "must not go back");
  EXPECT_EQ(g_rows_after_refusal, 4) << "no row of a refused append is kept";
  ASSERT_THAT(Charts(), SizeIs(1));
  EXPECT_EQ(Charts()[0].getRowCount(), 4u);
  EXPECT_THAT(Doubles(Charts()[0].getTail().getX()), ElementsAre(4));
}

void AddRowsWithoutXApp() {
  st::Chart chart = st::line_chart(XY({1, 2, 3}, {1, 4, 9}), {.x = "x"});
  st::DataFrame only_y;
  only_y.add("y", st::Column<double>(std::vector<double>{16}));
  chart.add_rows(only_y);
}

TEST_F(ChartTest, AddRowsWithoutTheChartsXColumnIsAnOutOfRange) {
  Start(AddRowsWithoutXApp);
  ExpectException("out_of_range", "no column 'x'");
  EXPECT_EQ(Charts()[0].getRowCount(), 3u);
}

std::optional<st::Chart> g_kept;

void KeepsItsChartApp() {
  if (st::button("rerun") && g_kept) {
    g_kept->add_rows(XY({10}, {100}));
  }
  g_kept = st::line_chart(XY({1, 2}, {1, 4}), {.x = "x"});
}

TEST_F(ChartTest, AddRowsAfterTheRunThatShowedTheChartIsALogicError) {
  Start(KeepsItsChartApp);
  EXPECT_THAT(page_.Exceptions(), IsEmpty());
  Click("rerun");
  ExpectException("logic_error", "after the run that showed it");
  g_kept.reset();
}

// ---- what the page gets ----------------------------------------------------

void UnsortedApp() {
  st::DataFrame frame;
  frame.add("x", st::Column<double>(std::vector<double>{3, 1, 2, 0.5, 5, 4}),
            {false, false, false, true, false, false});
  frame.add("y", st::Column<double>(std::vector<double>{30, 10, 20, -1, 50, 40}));
  st::line_chart(frame, {.x = "x", .key = "unsorted"});
}

TEST_F(ChartTest, UnsortedXIsSortedOnceAndNullXRowsAreLeftOut) {
  Start(UnsortedApp);
  ASSERT_THAT(Charts(), SizeIs(1)) << page_.DebugString();
  ipc::Chart::Reader chart = Charts()[0];
  EXPECT_EQ(chart.getRowCount(), 5u) << "the row with no x has no place on the chart";
  EXPECT_THAT(Doubles(chart.getView().getX()), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(Doubles(chart.getView().getY()[0]), ElementsAre(10, 20, 30, 40, 50));
  // A zoom is answered from the sorted points.
  Serve(QueryCommand{1, chart.getId().cStr(), PointsQuery{.x_min = 2, .x_max = 3, .pixels = 100}});
  std::vector<ipc::QueryReply::Reader> replies = page_.RepliesTo(1);
  ASSERT_THAT(replies, SizeIs(1));
  ASSERT_TRUE(replies[0].isPoints()) << replies[0].toString().flatten().cStr();
  EXPECT_THAT(Doubles(replies[0].getPoints().getX()), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(Doubles(replies[0].getPoints().getY()[0]), ElementsAre(10, 20, 30, 40));
}

void NullYApp() {
  st::area_chart(XY({0, 1, 2, 3}, {5, 0, 7, 8}, {false, true, false, false}), {.x = "x"});
}

TEST_F(ChartTest, NullYIsAGapInItsLine) {
  Start(NullYApp);
  ASSERT_THAT(Charts(), SizeIs(1)) << page_.DebugString();
  std::vector<double> y = Doubles(Charts()[0].getView().getY()[0]);
  ASSERT_THAT(y, SizeIs(4));
  EXPECT_EQ(y[0], 5);
  EXPECT_TRUE(std::isnan(y[1])) << "a null is NaN (a gap), not 0";
  EXPECT_EQ(y[2], 7);
  EXPECT_EQ(y[3], 8);
}

void ByRowApp() {
  st::DataFrame frame;
  frame.add("a", st::Column<std::int64_t>(std::vector<std::int64_t>{4, 5, 6}));
  frame.add("flag", std::vector<bool>{true, false, true});
  frame.add("b", st::Column<double>(std::vector<double>{0.5, 1.5, 2.5}));
  st::line_chart(frame);
}

TEST_F(ChartTest, WithoutOptionsXIsTheRowAndEveryNumericColumnIsASeries) {
  Start(ByRowApp);
  ASSERT_THAT(Charts(), SizeIs(1)) << page_.DebugString();
  ipc::Chart::Reader chart = Charts()[0];
  EXPECT_EQ(std::string(chart.getXLabel().cStr()), "");
  ASSERT_EQ(chart.getSeries().size(), 2u) << "bool columns are drawn only when asked for";
  EXPECT_EQ(std::string(chart.getSeries()[0].cStr()), "a");
  EXPECT_EQ(std::string(chart.getSeries()[1].cStr()), "b");
  EXPECT_THAT(Doubles(chart.getView().getX()), ElementsAre(0, 1, 2));
  EXPECT_THAT(Doubles(chart.getView().getY()[0]), ElementsAre(4, 5, 6));
  EXPECT_THAT(Doubles(chart.getView().getY()[1]), ElementsAre(0.5, 1.5, 2.5));
}

// ---- identity across reruns --------------------------------------------------

int g_offset = 0;

void RebuiltEachRunApp() {
  st::button("rerun");
  // A new frame every run (as an uncached load, or a cache_data miss and
  // then its hits, gives): the same points unless g_offset changes.
  st::line_chart(XY({1, 2, 3}, {1.0 + g_offset, 4, 9}), {.x = "x", .key = "rebuilt"});
}

TEST_F(ChartTest, SamePointsFromANewFrameKeepTheChartsIdAndItsZoom) {
  g_offset = 0;
  Start(RebuiltEachRunApp);
  ASSERT_THAT(Charts(), SizeIs(1)) << page_.DebugString();
  const std::string before = Charts()[0].getId().cStr();
  Click("rerun");
  EXPECT_EQ(std::string(Charts()[0].getId().cStr()), before)
      << "equal points are the same chart: the page keeps its zoom";
  Serve(QueryCommand{1, before, PointsQuery{.x_min = 1, .x_max = 3, .pixels = 100}});
  ASSERT_THAT(page_.RepliesTo(1), SizeIs(1));
  EXPECT_TRUE(page_.RepliesTo(1)[0].isPoints());

  g_offset = 1;
  Click("rerun");
  EXPECT_NE(std::string(Charts()[0].getId().cStr()), before) << "other points, a new chart";
  EXPECT_THAT(Doubles(Charts()[0].getView().getY()[0]), ElementsAre(2, 4, 9));
}

// A live chart shown anew into one slot, again and again in a run, holds
// only the last chart's points (each set releases the one before), and a
// key may be used again for it.
TEST_F(ChartTest, SlotSetAThousandTimesWithAKeyedChartHoldsOnlyTheLastOnesPoints) {
  Start([] {
    auto slot = st::empty();
    for (int i = 0; i < 1000; ++i) {
      slot.line_chart(XY({0, 1}, {static_cast<double>(i), 0}), {.x = "x", .key = "live"});
    }
    st::text("done");
  });
  EXPECT_THAT(page_.Exceptions(), IsEmpty()) << page_.DebugString();
  ASSERT_THAT(Charts(), SizeIs(1));
  EXPECT_THAT(Doubles(Charts()[0].getView().getY()[0]), ElementsAre(999, 0));
  EXPECT_EQ(runner_->queries().size(), 1u) << "one chart's points are held, not a thousand";
}

TEST_F(ChartTest, AddRowsToAChartItsSlotNoLongerShowsIsALogicError) {
  Start([] {
    auto slot = st::empty();
    st::Chart chart = slot.line_chart(XY({0}, {1}), {.x = "x"});
    chart.add_rows(XY({1}, {2}));  // still shown: fine
    slot.text("replaced");
    try {
      chart.add_rows(XY({2}, {3}));
    } catch (const std::logic_error& e) {
      st::text(std::string("refused: ") + e.what());
    }
  });
  EXPECT_THAT(Charts(), IsEmpty()) << "the chart did not come back over the slot's text";
  EXPECT_TRUE(page_.TextStartingWith("replaced")) << page_.DebugString();
  std::optional<std::string> refused = page_.TextStartingWith("refused: ");
  ASSERT_TRUE(refused) << page_.DebugString();
  EXPECT_THAT(*refused, HasSubstr("set again"));
}

TEST_F(ChartTest, InfiniteXIsLeftOutAndAddRowsRefusesItAndAnotherXType) {
  Start([] {
    st::DataFrame frame;
    frame.add("x", st::Column<double>({0, 1, std::numeric_limits<double>::infinity(), 2}));
    frame.add("y", st::Column<double>({5, 6, 7, 8}));
    st::Chart chart = st::line_chart(frame, {.x = "x"});
    st::DataFrame inf;
    inf.add("x", st::Column<double>({std::numeric_limits<double>::infinity()}));
    inf.add("y", st::Column<double>({9}));
    try {
      chart.add_rows(inf);
    } catch (const std::invalid_argument& e) {
      st::text(std::string("refused: ") + e.what());
    }
    st::DataFrame stamps;
    stamps.add_timestamps("x", st::Column<std::int64_t>({std::int64_t{3}}));
    stamps.add("y", st::Column<double>({9}));
    try {
      chart.add_rows(stamps);
    } catch (const std::invalid_argument& e) {
      st::text(std::string("also refused: ") + e.what());
    }
  });
  ASSERT_THAT(Charts(), SizeIs(1));
  EXPECT_THAT(Doubles(Charts()[0].getView().getX()), ElementsAre(0, 1, 2));
  EXPECT_EQ(Charts()[0].getRowCount(), 3u);
  std::optional<std::string> refused = page_.TextStartingWith("refused: ");
  ASSERT_TRUE(refused) << page_.DebugString();
  EXPECT_THAT(*refused, HasSubstr("infinite"));
  std::optional<std::string> also = page_.TextStartingWith("also refused: ");
  ASSERT_TRUE(also) << page_.DebugString();
  EXPECT_THAT(*also, HasSubstr("timestamp"));
}

}  // namespace
}  // namespace sluice::runtime
