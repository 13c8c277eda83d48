// examples/csv_explorer over real WebSockets against the real broker: what a
// viewer sees first (the 1,000,000-row sample), an upload replacing it, the
// range sliders keeping fewer rows, the download holding exactly the kept
// rows' CSV, and a malformed upload answered with the reader's line and
// column while the app goes on with the sample.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/page_model.h"
#include "tests/support/process_probe.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/status_macros.h"
#include "tests/support/ws_client.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kUploader = "A CSV or TSV file";
constexpr std::size_t kChunk = 64 << 10;

// Ten rows: n is 1..10, so a range of n keeps a known set of rows.
constexpr std::string_view kSmallCsv =
    "n,name,score\n"
    "1,a,0.5\n2,b,1.5\n3,c,2.5\n4,d,3.5\n5,e,4.5\n"
    "6,f,5.5\n7,g,6.5\n8,h,7.5\n9,i,8.5\n10,j,9.5\n";

class CsvExplorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(SLUICE_CSV_EXPLORER_APP, {}));
    // The first run generates the sample (once per server): give it room.
    ASSERT_OK_AND_ASSIGN(tab_,
                         AppSession::Open(broker_->port(), "", After(std::chrono::seconds(60))));
  }

  PageModel& page() { return tab_->page(); }

  std::string Metric() { return page().TextStartingWith("Rows kept").value_or("(no metric)"); }

  std::optional<ipc::DataFrame::Reader> Grid() {
    std::optional<ipc::DataFrame::Reader> grid;
    page().ForEachElement([&](const ElementPath&, ipc::Element::Reader e) {
      if (e.isDataframe()) grid = e.getDataframe();
    });
    return grid;
  }

  // Sends `content` as the uploader's file and waits for the run it causes.
  absl::StatusOr<UploadStatusInfo> Upload(std::string_view name, std::string_view content) {
    return Upload(*tab_, name, content);
  }
  absl::StatusOr<UploadStatusInfo> Upload(AppSession& tab, std::string_view name,
                                          std::string_view content) {
    std::optional<WidgetInfo> uploader = tab.page().FindWidget(kUploader);
    if (!uploader) return absl::NotFoundError("no uploader on the page");
    std::uint32_t id = next_upload_++;
    WsClient& client = tab.client();
    RETURN_IF_ERROR(client.SendUploadBegin(id, uploader->id, name, "text/csv", content.size()));
    for (std::size_t offset = 0; offset < content.size(); offset += kChunk) {
      RETURN_IF_ERROR(client.SendUploadChunk(id, offset, content.substr(offset, kChunk)));
    }
    RETURN_IF_ERROR(client.SendUploadEnd(id));
    absl::StatusOr<UploadStatusInfo> status = tab.page().ReceiveUntilUploadSettled(client, id);
    if (status.ok() && status->state == ipc::UploadStatus::State::DONE) {
      RETURN_IF_ERROR(tab.page().RunUntilFinished(client));
    }
    return status;
  }

  // Clicks the download button and returns the file it saves.
  absl::StatusOr<std::string> Download() {
    std::string button;
    page().ForEachElement([&](const ElementPath&, ipc::Element::Reader e) {
      if (e.isDownloadButton()) button = e.getDownloadButton().getId().cStr();
    });
    if (button.empty()) return absl::NotFoundError("no download button on the page");
    std::uint32_t id = next_query_++;
    RETURN_IF_ERROR(tab_->client().SendDownloadQuery(id, button));
    RETURN_IF_ERROR(page().ReceiveUntilAnswered(tab_->client(), id));
    return page().Downloaded(id);
  }

  // A /metrics counter now, or -1 when /metrics cannot be read.
  double Counter(const std::string& name) {
    absl::StatusOr<Metrics> metrics = GetMetrics(broker_->port());
    return metrics.ok() ? metrics->Value(name) : -1;
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AppSession> tab_;
  std::uint32_t next_upload_ = 1;
  std::uint32_t next_query_ = 1;
};

TEST_F(CsvExplorerTest, FirstRunShowsTheMillionRowSampleInTheMetricAndTheGrid) {
  EXPECT_EQ(Metric(), "Rows kept 1,000,000") << page().DebugString();
  EXPECT_TRUE(page().HasText("Showing the generated sample: 1,000,000 rows, 6 columns."))
      << page().DebugString();
  std::optional<ipc::DataFrame::Reader> grid = Grid();
  ASSERT_TRUE(grid) << page().DebugString();
  EXPECT_EQ(grid->getRowCount(), 1'000'000u);
  ASSERT_EQ(grid->getColumns().size(), 6u);
  EXPECT_EQ(std::string(grid->getColumns()[0].getName().cStr()), "order_id");
  EXPECT_EQ(grid->getColumns()[5].getType(), ipc::ColumnType::TIMESTAMP);
  std::optional<WidgetInfo> column = page().FindWidget("Filter by column");
  ASSERT_TRUE(column);
  EXPECT_THAT(column->options, ::testing::ElementsAre("order_id", "price", "quantity", "rating"));
}

TEST_F(CsvExplorerTest, SliderOverTheSampleKeepsTheRowsInRangeAndTheDownloadHoldsThem) {
  ASSERT_OK(tab_->Change("Lowest order_id", WidgetInput::Number(999'991)));
  EXPECT_EQ(Metric(), "Rows kept 10 down 999,990") << page().DebugString();
  ASSERT_TRUE(Grid());
  EXPECT_EQ(Grid()->getRowCount(), 10u);
  ASSERT_OK_AND_ASSIGN(std::string csv, Download());
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 11u) << csv;
  EXPECT_EQ(lines[0], "order_id,price,quantity,rating,category,ordered_at");
  for (int row = 1; row <= 10; ++row) {
    EXPECT_TRUE(lines[row].starts_with(absl::StrCat(999'990 + row, ","))) << lines[row];
  }
}

TEST_F(CsvExplorerTest, UploadedCsvReplacesTheSample) {
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Upload("small.csv", kSmallCsv));
  ASSERT_EQ(status.state, ipc::UploadStatus::State::DONE) << status.message;
  EXPECT_EQ(Metric(), "Rows kept 10") << page().DebugString();
  EXPECT_TRUE(page().HasText("Showing small.csv: 10 rows, 3 columns.")) << page().DebugString();
  ASSERT_TRUE(Grid());
  EXPECT_EQ(Grid()->getRowCount(), 10u);
  std::optional<WidgetInfo> column = page().FindWidget("Filter by column");
  ASSERT_TRUE(column);
  EXPECT_THAT(column->options, ::testing::ElementsAre("n", "score"));
  std::optional<WidgetInfo> lowest = page().FindWidget("Lowest n");
  ASSERT_TRUE(lowest) << "the sliders follow the file's columns";
  EXPECT_EQ(lowest->min, 1);
  EXPECT_EQ(lowest->max, 10);
}

TEST_F(CsvExplorerTest, MovingTheSlidersReducesTheMetricAndTheDownloadIsExactlyTheKeptRows) {
  ASSERT_OK(Upload("small.csv", kSmallCsv).status());
  ASSERT_OK(tab_->Change("Lowest n", WidgetInput::Number(4)));
  EXPECT_EQ(Metric(), "Rows kept 7 down 3") << page().DebugString();
  ASSERT_OK(tab_->Change("Highest n", WidgetInput::Number(8)));
  EXPECT_EQ(Metric(), "Rows kept 5 down 5") << page().DebugString();
  ASSERT_TRUE(Grid());
  EXPECT_EQ(Grid()->getRowCount(), 5u);
  int runs = page().finished_runs();
  ASSERT_OK_AND_ASSIGN(std::string csv, Download());
  EXPECT_EQ(csv, "n,name,score\n4,d,3.5\n5,e,4.5\n6,f,5.5\n7,g,6.5\n8,h,7.5\n");
  EXPECT_EQ(page().finished_runs(), runs) << "a download does not rerun the app";
}

TEST_F(CsvExplorerTest, PickingAnotherColumnFiltersByIt) {
  ASSERT_OK(Upload("small.csv", kSmallCsv).status());
  ASSERT_OK(tab_->Change("Filter by column", WidgetInput::Index(1)));
  ASSERT_TRUE(page().FindWidget("Lowest score")) << page().DebugString();
  EXPECT_FALSE(page().FindWidget("Lowest n")) << "only the chosen column's sliders are shown";
  ASSERT_OK(tab_->Change("Highest score", WidgetInput::Number(2)));
  EXPECT_EQ(Metric(), "Rows kept 2 down 8") << page().DebugString();
}

// The sample is generated once per server, and a file is parsed once per
// content: a second tab, and the same bytes uploaded in it, hit the entries
// the first tab made.
TEST_F(CsvExplorerTest, SecondTabHitsTheSampleAndTheSameFilesParse) {
  ASSERT_OK(Upload("small.csv", kSmallCsv).status());
  // The keeper counts an insert once it has taken the entry in.
  ASSERT_TRUE(
      WaitUntil([&] { return Counter("sluice_cache_inserts_total") >= 2; }, After(kStepTimeout)))
      << "the sample and small.csv were not both stored";
  const double hits_before = Counter("sluice_cache_hits_total");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AppSession> second, AppSession::Open(broker_->port()));
  EXPECT_EQ(second->page().TextStartingWith("Rows kept"), "Rows kept 1,000,000");
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status, Upload(*second, "same-bytes.csv", kSmallCsv));
  ASSERT_EQ(status.state, ipc::UploadStatus::State::DONE) << status.message;
  EXPECT_EQ(second->page().TextStartingWith("Rows kept"), "Rows kept 10");
  // A worker reports its hits to the keeper after the run, so the page can
  // show the run before /metrics counts them.
  EXPECT_TRUE(WaitUntil([&] { return Counter("sluice_cache_hits_total") >= hits_before + 2; },
                        After(kStepTimeout)))
      << "the second tab's two runs did not both hit";
  EXPECT_EQ(Counter("sluice_cache_inserts_total"), 2) << "nothing was computed again";
}

TEST_F(CsvExplorerTest, MalformedUploadShowsTheReadersLineAndColumnAndTheSample) {
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo status,
                       Upload("broken.csv", "n,name\n1,a\n2,b,extra\n3,c\n"));
  ASSERT_EQ(status.state, ipc::UploadStatus::State::DONE) << status.message;
  std::optional<std::string> error = page().TextStartingWith("Could not read broken.csv");
  ASSERT_TRUE(error) << page().DebugString();
  EXPECT_THAT(*error, HasSubstr("line 3, column 3"));
  EXPECT_THAT(*error, HasSubstr("Showing the sample instead"));
  EXPECT_TRUE(page().Exceptions().empty()) << "the app catches the reader's error";
  EXPECT_EQ(Metric(), "Rows kept 1,000,000") << page().DebugString();
  ASSERT_TRUE(Grid());
  EXPECT_EQ(Grid()->getRowCount(), 1'000'000u);
  // A good file afterwards is read as usual.
  ASSERT_OK(Upload("small.csv", kSmallCsv).status());
  EXPECT_EQ(Metric(), "Rows kept 10") << page().DebugString();
  EXPECT_FALSE(page().TextStartingWith("Could not read")) << page().DebugString();
}

}  // namespace
}  // namespace sluice::testing
