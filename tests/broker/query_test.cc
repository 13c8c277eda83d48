// The page's queries to shown elements (page.capnp Query) over real
// WebSockets to the real broker: a download button's bytes arrive exact and
// its callable runs once per click, never on reruns; what the broker or the
// worker refuses is answered with an error and the session goes on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/page_model.h"
#include "tests/support/status_macros.h"
#include "tests/support/ws_client.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

std::string Payload() {
  std::string bytes(1'000'000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>((i * 31 + i / 4096) % 256);
  }
  return bytes;
}

class QueryOverWebSocketTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    flags.insert(flags.end(), {"--cache-size", "0"});
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kDataApp, flags));
    ASSERT_OK_AND_ASSIGN(session_, AppSession::Open(broker_->port()));
  }

  PageModel& page() { return session_->page(); }

  std::string ButtonId(std::string_view label) {
    std::string id;
    page().ForEachElement([&](const ElementPath&, ipc::Element::Reader e) {
      if (e.isDownloadButton() &&
          std::string_view(e.getDownloadButton().getLabel().cStr()) == label) {
        id = e.getDownloadButton().getId().cStr();
      }
    });
    EXPECT_FALSE(id.empty()) << "no download button '" << label << "' on\n" << page().DebugString();
    return id;
  }

  // Clicks the download button `label` and waits for the whole answer.
  absl::StatusOr<std::string> Download(std::string_view label) {
    std::uint32_t id = next_query_++;
    if (absl::Status sent = session_->client().SendDownloadQuery(id, ButtonId(label)); !sent.ok()) {
      return sent;
    }
    if (absl::Status answered = page().ReceiveUntilAnswered(session_->client(), id);
        !answered.ok()) {
      return answered;
    }
    return page().Downloaded(id);
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AppSession> session_;
  std::uint32_t next_query_ = 1;
};

TEST_F(QueryOverWebSocketTest, DownloadArrivesExactOverTheSessionsSocket) {
  Start();
  absl::StatusOr<std::string> file = Download("Download payload");
  ASSERT_OK(file.status());
  EXPECT_TRUE(*file == Payload()) << "got " << file->size() << " bytes, not the payload";
  EXPECT_TRUE(page().HasText("runs: 1")) << "a download does not rerun the app";
}

TEST_F(QueryOverWebSocketTest, CallableRunsOncePerClickAndNotOnReruns) {
  Start();
  EXPECT_EQ(Download("Download report").value_or("?"), "report made 1 times\n");
  ASSERT_OK(session_->Click("Rerun"));
  ASSERT_OK(session_->Click("Rerun"));
  ASSERT_TRUE(page().HasText("runs: 3")) << page().DebugString();
  EXPECT_EQ(Download("Download report").value_or("?"), "report made 2 times\n");
}

TEST_F(QueryOverWebSocketTest, ThrowingCallableIsAnsweredWithItsMessage) {
  Start();
  absl::StatusOr<std::string> file = Download("Download broken");
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("cannot make this file"));
  EXPECT_EQ(Download("Download report").value_or("?"), "report made 1 times\n");
}

TEST_F(QueryOverWebSocketTest, QueriesForMissingElementsAreAnsweredAndTheSessionGoesOn) {
  Start();
  std::uint32_t gone = next_query_++;
  ASSERT_OK(session_->client().SendDownloadQuery(gone, "downloadButton:Nothing:0#1"));
  ASSERT_OK(page().ReceiveUntilAnswered(session_->client(), gone));
  EXPECT_THAT(std::string(page().Downloaded(gone).status().message()),
              HasSubstr("no longer shown"));
  std::uint32_t empty_id = next_query_++;
  ASSERT_OK(session_->client().SendDownloadQuery(empty_id, ""));
  ASSERT_OK_AND_ASSIGN(NoticeInfo notice, page().ReceiveUntilNotice(session_->client()));
  EXPECT_EQ(notice.kind, ipc::Notice::Kind::BAD_INPUT);
  EXPECT_THAT(notice.message, HasSubstr("element id"));
  ASSERT_OK(session_->Click("Rerun"));
  EXPECT_TRUE(page().HasText("runs: 2")) << page().DebugString();
}

// A page that floods queries is told so by the broker, query by query; it
// is not closed, and its session still reruns.
TEST_F(QueryOverWebSocketTest, QueriesPastTheRateAreAnsweredTooManyAndTheSessionGoesOn) {
  Start({"--query-rate", "5"});
  std::string id = ButtonId("Download report");
  constexpr std::uint32_t kQueries = 40;
  for (std::uint32_t q = 1; q <= kQueries; ++q) {
    ASSERT_OK(session_->client().SendDownloadQuery(q, id));
  }
  int refused = 0;
  int answered = 0;
  for (std::uint32_t q = 1; q <= kQueries; ++q) {
    ASSERT_OK(page().ReceiveUntilAnswered(session_->client(), q));
    absl::StatusOr<std::string> file = page().Downloaded(q);
    if (file.ok()) {
      ++answered;
    } else {
      EXPECT_THAT(std::string(file.status().message()), HasSubstr("too many queries"));
      ++refused;
    }
  }
  EXPECT_GE(refused, 1) << "40 queries at once are past a rate of 5 a second";
  EXPECT_GE(answered, 5) << "a burst as large as the rate goes through";
  ASSERT_OK(session_->Click("Rerun"));
  EXPECT_TRUE(page().HasText("runs: 2")) << page().DebugString();
}

// ---- st::dataframe: rows by query --------------------------------------

constexpr std::uint64_t kRows = 1'000'000;

double ValueOf(std::uint64_t id) { return static_cast<double>(id * 7919 % 1000003) / 8; }

class GridQueryTest : public QueryOverWebSocketTest {
 protected:
  ipc::DataFrame::Reader Grid(AppSession& session) {
    std::optional<ipc::DataFrame::Reader> grid;
    session.page().ForEachElement([&](const ElementPath&, ipc::Element::Reader e) {
      if (e.isDataframe()) grid = e.getDataframe();
    });
    EXPECT_TRUE(grid) << "no grid on\n" << session.page().DebugString();
    return grid.value_or(ipc::DataFrame::Reader());
  }

  // Asks `session`'s grid for rows and waits for the answer.
  absl::StatusOr<ipc::QueryReply::Reader> Rows(AppSession& session, std::uint64_t begin,
                                               std::uint32_t count, std::int32_t sort = -1,
                                               bool descending = false,
                                               std::optional<std::string> element = {}) {
    std::string target = element ? *element : std::string(Grid(session).getId().cStr());
    // A new sort order right after another is refused for a moment (the
    // worker gives sorting at most half its time); the page asks again, and
    // so does this.
    Deadline deadline = After(kStepTimeout);
    for (;;) {
      std::uint32_t id = next_query_++;
      RETURN_IF_ERROR(session.client().SendRowsQuery(id, target, begin, count, sort, descending));
      RETURN_IF_ERROR(session.page().ReceiveUntilAnswered(session.client(), id, deadline));
      std::vector<ipc::QueryReply::Reader> replies = session.page().RepliesTo(id);
      if (replies.size() != 1) return absl::InternalError("not one reply");
      if (!replies[0].isError() ||
          !std::string_view(replies[0].getError().cStr()).ends_with("ask again shortly")) {
        return replies[0];
      }
      // A retry interval, as the page's, under --query-rate.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  static std::vector<std::int64_t> Ids(ipc::Rows::Reader rows) {
    std::vector<std::int64_t> ids;
    for (std::int64_t id : rows.getColumns()[0].getInt64()) ids.push_back(id);
    return ids;
  }
};

TEST_F(GridQueryTest, GridSendsItsShapeAndFirstRowsNotTheWholeFrame) {
  Start();
  ipc::DataFrame::Reader grid = Grid(*session_);
  EXPECT_EQ(grid.getRowCount(), kRows);
  ASSERT_EQ(grid.getColumns().size(), 3u);
  EXPECT_EQ(std::string(grid.getColumns()[1].getName().cStr()), "value");
  EXPECT_EQ(grid.getColumns()[1].getType(), ipc::ColumnType::FLOAT64);
  EXPECT_EQ(grid.getColumns()[2].getType(), ipc::ColumnType::STRING);
  std::vector<std::int64_t> first = Ids(grid.getFirst());
  ASSERT_FALSE(first.empty());
  EXPECT_LE(first.size(), grid.getMaxWindowRows());
  EXPECT_EQ(first.front(), 0);
  EXPECT_LT(grid.totalSize().wordCount * 8, 64u << 10) << "the first view stays small";
}

TEST_F(GridQueryTest, RowWindowsAnywhereInAMillionRowsAreAnsweredExactly) {
  Start();
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader middle, Rows(*session_, 500'000, 50));
  ASSERT_TRUE(middle.isRows()) << middle.toString().flatten().cStr();
  EXPECT_EQ(middle.getRows().getBegin(), 500'000u);
  std::vector<std::int64_t> ids = Ids(middle.getRows());
  ASSERT_EQ(ids.size(), 50u);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], 500'000 + std::int64_t(i));
  EXPECT_EQ(middle.getRows().getColumns()[1].getFloat64()[3], ValueOf(500'003));
  EXPECT_EQ(std::string(middle.getRows().getColumns()[2].getString()[3].cStr()), "row-500003");

  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader end, Rows(*session_, kRows - 10, 100));
  ASSERT_TRUE(end.isRows());
  EXPECT_EQ(Ids(end.getRows()).size(), 10u) << "a window past the end is cut at the last row";
  EXPECT_EQ(Ids(end.getRows()).back(), std::int64_t(kRows - 1));
  // Row 999,999 is one of the nulls (every 1000th).
  auto nulls = end.getRows().getColumns()[1].getNulls();
  ASSERT_EQ(nulls.size(), 10u);
  EXPECT_TRUE(nulls[9]);
  EXPECT_FALSE(nulls[8]);
  EXPECT_TRUE(page().HasText("runs: 1")) << "queries do not rerun the app";
}

TEST_F(GridQueryTest, SortingByAColumnHappensInTheWorkerNullsLast) {
  Start();
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader top, Rows(*session_, 0, 20, 1, true));
  ASSERT_TRUE(top.isRows()) << top.toString().flatten().cStr();
  EXPECT_EQ(top.getRows().getSortColumn(), 1);
  EXPECT_TRUE(top.getRows().getDescending());
  auto values = top.getRows().getColumns()[1].getFloat64();
  for (unsigned i = 1; i < values.size(); ++i) EXPECT_GE(values[i - 1], values[i]);
  for (std::int64_t id : Ids(top.getRows())) EXPECT_EQ(values[0] >= ValueOf(id), true);
  // The thousand nulls come last in either direction.
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader tail, Rows(*session_, kRows - 5, 5, 1, false));
  ASSERT_TRUE(tail.isRows()) << (tail.isError() ? tail.getError().cStr() : "");
  for (bool null : tail.getRows().getColumns()[1].getNulls()) EXPECT_TRUE(null);
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader by_id, Rows(*session_, 0, 3, 0, true));
  EXPECT_THAT(Ids(by_id.getRows()), ::testing::ElementsAre(999'999, 999'998, 999'997));
}

TEST_F(GridQueryTest, BadWindowsAreAnsweredWithErrorsAndTheSessionGoesOn) {
  Start();
  struct Case {
    std::uint64_t begin;
    std::uint32_t count;
    std::int32_t sort;
    std::string says;
  };
  for (const Case& bad : {Case{kRows, 10, -1, "past the frame"}, Case{0, 0, -1, "1 to 500 rows"},
                          Case{0, 501, -1, "1 to 500 rows"}, Case{0, 10, 3, "no column 3"},
                          Case{0, 10, -2, "no column -2"}}) {
    ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader reply,
                         Rows(*session_, bad.begin, bad.count, bad.sort));
    ASSERT_TRUE(reply.isError()) << bad.says;
    EXPECT_THAT(std::string(reply.getError().cStr()), HasSubstr(bad.says));
  }
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader good, Rows(*session_, 0, 5));
  EXPECT_TRUE(good.isRows());
  EXPECT_TRUE(page().HasText("runs: 1"));
}

TEST_F(GridQueryTest, RemovedGridIsAnsweredGoneAndItsFrameReleased) {
  Start();
  std::string id = Grid(*session_).getId().cStr();
  ASSERT_OK(session_->Change("Show grid", WidgetInput::Checked(false)));
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader reply, Rows(*session_, 0, 5, -1, false, id));
  ASSERT_TRUE(reply.isError());
  EXPECT_THAT(std::string(reply.getError().cStr()), HasSubstr("no longer shown"));
  ASSERT_OK(session_->Change("Show grid", WidgetInput::Checked(true)));
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader again, Rows(*session_, 0, 5));
  EXPECT_TRUE(again.isRows());
}

TEST_F(GridQueryTest, AnotherSessionsSortDoesNotChangeThisGrid) {
  Start();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<AppSession> other, AppSession::Open(broker_->port()));
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader sorted, Rows(*other, 0, 5, 0, true));
  EXPECT_THAT(Ids(sorted.getRows()),
              ::testing::ElementsAre(999'999, 999'998, 999'997, 999'996, 999'995));
  ASSERT_OK_AND_ASSIGN(ipc::QueryReply::Reader mine, Rows(*session_, 0, 3));
  EXPECT_THAT(Ids(mine.getRows()), ::testing::ElementsAre(0, 1, 2));
}

TEST_F(GridQueryTest, StaticTableShowsItsRowsAndCountsTheRest) {
  Start();
  std::vector<ShownElement> tables = page().FindElements("table");
  ASSERT_EQ(tables.size(), 2u) << page().DebugString();
  EXPECT_EQ(tables[0].text,
            "id | value | label\n0 | 0 | row-0\n1 | 989.875 | row-1\n"
            "2 | 1979.75 | row-2");
  EXPECT_THAT(tables[1].text, HasSubstr("999998 more rows not shown"));
}

}  // namespace
}  // namespace sluice::testing
