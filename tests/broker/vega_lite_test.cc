// st::vega_lite_chart over real WebSockets to the real broker
// (tests/apps/vega_app.cc): the element carries the spec as written and
// every row of the frame; a spec that is not a JSON object, a frame past
// the row limit and a spec with data of its own beside a frame are the
// app's exception on the page, and the session goes on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
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

// The radio "Case" of vega_app.
enum Case : int32_t { kNone, kCharts, kInvalidJson, kArray, kTooManyRows, kDataAndFrame };

constexpr std::int64_t kEpochNs = 1'704'067'200'000'000'000;
constexpr std::int64_t kHourNs = 3'600'000'000'000;

// What one chart element holds, copied out of its frame.
struct ShownChart {
  std::string spec;
  uint32_t height = 0;
  std::vector<std::string> column_names;
  std::vector<ipc::ColumnType> column_types;
  std::vector<std::int64_t> x;
  std::vector<double> y;
  std::vector<std::int64_t> t;
  std::vector<std::string> group;
  std::vector<bool> group_nulls;
};

template <class T>
std::vector<T> ToVector(typename capnp::List<T>::Reader list) {
  std::vector<T> out;
  for (T value : list) out.push_back(value);
  return out;
}

class VegaLiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kVegaApp, {"--cache-size", "0"}));
    ASSERT_OK_AND_ASSIGN(tab_, AppSession::Open(broker_->port()));
  }

  PageModel& page() { return tab_->page(); }

  absl::Status Show(Case shown) { return tab_->Change("Case", WidgetInput::Index(shown)); }

  std::vector<ShownChart> Charts() {
    std::vector<ShownChart> charts;
    page().ForEachElement([&](const ElementPath&, ipc::Element::Reader e) {
      if (!e.isVegaLiteChart()) return;
      auto chart = e.getVegaLiteChart();
      ShownChart& shown = charts.emplace_back();
      shown.spec = chart.getSpec().cStr();
      shown.height = chart.getHeight();
      for (auto column : chart.getColumns()) {
        shown.column_names.push_back(column.getName().cStr());
        shown.column_types.push_back(column.getType());
      }
      auto cells = chart.getCells();
      for (unsigned c = 0; c < cells.size(); ++c) {
        auto column = cells[c];
        std::string_view name = shown.column_names.at(c);
        if (name == "x" && column.isInt64()) shown.x = ToVector<std::int64_t>(column.getInt64());
        if (name == "y" && column.isFloat64()) shown.y = ToVector<double>(column.getFloat64());
        if (name == "t" && column.isTimestamp())
          shown.t = ToVector<std::int64_t>(column.getTimestamp());
        if (name == "group" && column.isString()) {
          for (auto text : column.getString()) shown.group.emplace_back(text.cStr());
          shown.group_nulls = ToVector<bool>(column.getNulls());
        }
      }
    });
    return charts;
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AppSession> tab_;
};

TEST_F(VegaLiteTest, ChartCarriesItsSpecAsWrittenAndEveryRowOfTheFrame) {
  ASSERT_OK(Show(kCharts));
  ASSERT_TRUE(page().HasText("end of app")) << page().DebugString();
  std::vector<ShownChart> charts = Charts();
  ASSERT_EQ(charts.size(), 3u) << page().DebugString();

  const ShownChart& line = charts[0];
  EXPECT_THAT(line.spec, HasSubstr(R"("title": "Saw wave")"));
  EXPECT_EQ(line.height, 240u);
  EXPECT_THAT(line.column_names, ElementsAre("x", "y", "t", "group"));
  EXPECT_THAT(line.column_types, ElementsAre(ipc::ColumnType::INT64, ipc::ColumnType::FLOAT64,
                                             ipc::ColumnType::TIMESTAMP, ipc::ColumnType::STRING));
  ASSERT_EQ(line.x.size(), 1000u);
  ASSERT_EQ(line.y.size(), 1000u);
  ASSERT_EQ(line.t.size(), 1000u);
  ASSERT_EQ(line.group.size(), 1000u);
  ASSERT_EQ(line.group_nulls.size(), 1000u);
  for (std::int64_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(line.x[i], i);
    ASSERT_EQ(line.y[i], static_cast<double>(i * 37 % 101)) << "row " << i;
    ASSERT_EQ(line.t[i], kEpochNs + i * kHourNs) << "row " << i;
    ASSERT_EQ(line.group_nulls[i], i % 100 == 99) << "row " << i;
    if (!line.group_nulls[i]) {
      ASSERT_EQ(line.group[i], i % 2 == 0 ? "a" : "b") << "row " << i;
    }
  }

  // The named dataset's chart gets the same rows; the inline one none.
  EXPECT_THAT(charts[1].spec, HasSubstr(R"("data": {"name": "points"})"));
  EXPECT_EQ(charts[1].height, 0u);
  EXPECT_EQ(charts[1].x, line.x);
  EXPECT_THAT(charts[2].spec, HasSubstr("Inline bars"));
  EXPECT_THAT(charts[2].column_names, IsEmpty());

  // A viewer reads each chart by its title, else its description.
  std::vector<std::string> names;
  for (const ShownElement& chart : page().FindElements("vegaLiteChart"))
    names.push_back(chart.text);
  EXPECT_THAT(names, ElementsAre("Saw wave", "Mean y by group", "Inline bars"));
  EXPECT_THAT(page().Exceptions(), IsEmpty());
}

TEST_F(VegaLiteTest, SpecThatIsNotJsonIsTheAppsExceptionSayingWhere) {
  ASSERT_OK(Show(kInvalidJson));
  std::vector<ShownException> shown = page().Exceptions();
  ASSERT_EQ(shown.size(), 1u) << page().DebugString();
  EXPECT_EQ(shown[0].type, "std::invalid_argument");
  EXPECT_THAT(shown[0].message, HasSubstr("st::vega_lite_chart: the spec is not JSON"));
  EXPECT_THAT(shown[0].message, HasSubstr("line 3, column 15"));
  EXPECT_TRUE(Charts().empty());
  EXPECT_FALSE(page().HasText("end of app"));
}

TEST_F(VegaLiteTest, SpecThatIsNotAnObjectIsTheAppsException) {
  ASSERT_OK(Show(kArray));
  std::vector<ShownException> shown = page().Exceptions();
  ASSERT_EQ(shown.size(), 1u) << page().DebugString();
  EXPECT_EQ(shown[0].type, "std::invalid_argument");
  EXPECT_THAT(shown[0].message, HasSubstr("must be a JSON object (a Vega-Lite spec), not array"));
  EXPECT_TRUE(Charts().empty());
}

TEST_F(VegaLiteTest, FramePastTheRowLimitIsRefusedNamingTheFastCharts) {
  ASSERT_OK(Show(kTooManyRows));
  std::vector<ShownException> shown = page().Exceptions();
  ASSERT_EQ(shown.size(), 1u) << page().DebugString();
  EXPECT_EQ(shown[0].type, "std::invalid_argument");
  EXPECT_THAT(shown[0].message, HasSubstr("100,001 rows, more than max_rows (100,000)"));
  EXPECT_THAT(shown[0].message, HasSubstr("st::line_chart"));
  EXPECT_TRUE(Charts().empty());
}

TEST_F(VegaLiteTest, SpecWithDataOfItsOwnBesideAFrameIsRefused) {
  ASSERT_OK(Show(kDataAndFrame));
  std::vector<ShownException> shown = page().Exceptions();
  ASSERT_EQ(shown.size(), 1u) << page().DebugString();
  EXPECT_THAT(shown[0].message, HasSubstr(R"(data of its own ("data": {"values": ...}))"));
  EXPECT_TRUE(Charts().empty());
}

TEST_F(VegaLiteTest, SessionGoesOnAfterARefusedSpec) {
  ASSERT_OK(Show(kInvalidJson));
  ASSERT_EQ(page().Exceptions().size(), 1u) << page().DebugString();
  ASSERT_OK(Show(kCharts));
  EXPECT_THAT(page().Exceptions(), IsEmpty());
  EXPECT_EQ(Charts().size(), 3u) << page().DebugString();
}

}  // namespace
}  // namespace sluice::testing
