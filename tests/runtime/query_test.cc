// The page's queries to shown elements (page.capnp Query), answered by the
// runner without a rerun: here a download button's bytes, through a fake
// channel. The same over a real broker: tests/broker/query_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "runtime/app_runner.h"
#include "sluice/st.hpp"
#include "tests/runtime/fake_channel.h"
#include "tests/support/page_model.h"

namespace sluice::runtime {
namespace {

using testing::FakeChannel;
using ::testing::HasSubstr;
using testing::PageModel;
using testing::ShownElement;

int g_runs = 0;
int g_made = 0;

// Bytes of every value 0..255, several chunks long.
std::string BinaryFile(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 7 % 256);
  return bytes;
}

void DownloadApp() {
  ++g_runs;
  st::download_button("Get bytes", BinaryFile(600'000), {.file_name = "data.bin"});
  st::download_button("Make report",
                      [] {
                        ++g_made;
                        return std::string("report #") + std::to_string(g_made);
                      },
                      {.file_name = "dir/report.txt", .mime = "text/plain"});
  st::download_button(
      "Broken", []() -> std::string { throw std::runtime_error("the report server is down"); });
  if (st::button("rerun")) st::text("rerun clicked");
}

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_runs = 0;
    g_made = 0;
  }

  void Start(st::AppFunction app) {
    runner_ = std::make_unique<AppRunner>(channel_, app);
    Serve(StartCommand{.session_id = "query-session"});
  }

  void Serve(Command command) {
    channel_.Queue(std::move(command));
    runner_->ServeOne();
    channel_.ApplyNewTo(page_);
  }

  // The download button labelled `label`, as the page has it.
  ipc::DownloadButton::Reader Button(std::string_view label) {
    for (const ShownElement& shown : page_.FindElements("downloadButton")) {
      if (shown.text == label) {
        std::optional<ipc::DownloadButton::Reader> found;
        page_.ForEachElement([&](const testing::ElementPath& path, ipc::Element::Reader e) {
          if (path == shown.path) found = e.getDownloadButton();
        });
        if (found) return *found;
      }
    }
    ADD_FAILURE() << "no download button '" << label << "' on\n" << page_.DebugString();
    return {};
  }

  std::string IdOf(std::string_view label) { return Button(label).getId().cStr(); }

  // Sends a download query for `label`'s button; returns its query id.
  std::uint32_t Click(std::string_view label) {
    std::uint32_t id = next_query_++;
    Serve(QueryCommand{id, IdOf(label), DownloadQuery{}});
    return id;
  }

  FakeChannel channel_;
  std::unique_ptr<AppRunner> runner_;
  PageModel page_;
  std::uint32_t next_query_ = 1;
};

TEST_F(QueryTest, DownloadButtonSendsTheExactBytesInChunksWithoutARerun) {
  Start(DownloadApp);
  ipc::DownloadButton::Reader button = Button("Get bytes");
  EXPECT_EQ(button.getSize(), 600'000u);
  EXPECT_EQ(std::string(button.getFileName().cStr()), "data.bin");
  std::uint32_t query = Click("Get bytes");
  absl::StatusOr<std::string> file = page_.Downloaded(query);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(*file, BinaryFile(600'000));
  EXPECT_GT(page_.RepliesTo(query).size(), 1u) << "600 KB should come in more than one chunk";
  EXPECT_EQ(g_runs, 1) << "a download does not rerun the app";
}

TEST_F(QueryTest, CallableRunsOncePerClickAndNeverOnReruns) {
  Start(DownloadApp);
  EXPECT_EQ(g_made, 0) << "showing the button must not make the file";
  EXPECT_EQ(Button("Make report").getSize(), 0u) << "unknown before the click";
  EXPECT_EQ(std::string(Button("Make report").getFileName().cStr()), "report.txt")
      << "directories are dropped from the file name";
  std::uint32_t first = Click("Make report");
  EXPECT_EQ(page_.Downloaded(first).value_or("?"), "report #1");
  Serve(WidgetChangeCommand{.widget_id = page_.FindWidget("rerun")->id, .value = Clicked{}});
  ASSERT_TRUE(page_.HasText("rerun clicked")) << page_.DebugString();
  EXPECT_EQ(g_made, 1) << "a rerun does not call the callable";
  std::uint32_t second = Click("Make report");
  EXPECT_EQ(page_.Downloaded(second).value_or("?"), "report #2");
  EXPECT_EQ(g_made, 2);
}

TEST_F(QueryTest, ThrowingCallableAnswersItsMessageAndTheSessionGoesOn) {
  Start(DownloadApp);
  std::uint32_t query = Click("Broken");
  absl::StatusOr<std::string> file = page_.Downloaded(query);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("the report server is down"));
  EXPECT_TRUE(page_.Exceptions().empty()) << "the error goes beside the button, not in the run";
  EXPECT_EQ(page_.Downloaded(Click("Get bytes")).value_or("?").size(), 600'000u);
}

TEST_F(QueryTest, QueryForAnElementThatIsGoneIsAnsweredWithAnError) {
  Start(DownloadApp);
  std::uint32_t id = next_query_++;
  Serve(QueryCommand{id, "downloadButton:Nothing:0#1", DownloadQuery{}});
  EXPECT_THAT(std::string(page_.Downloaded(id).status().message()), HasSubstr("no longer shown"));
  std::uint32_t malformed = next_query_++;
  Serve(QueryCommand{malformed, "no generation", DownloadQuery{}});
  EXPECT_FALSE(page_.Downloaded(malformed).ok());
  EXPECT_EQ(g_runs, 1);
}

TEST_F(QueryTest, RowsQueryToADownloadButtonIsRefused) {
  Start(DownloadApp);
  std::uint32_t id = next_query_++;
  Serve(QueryCommand{id, IdOf("Get bytes"), RowsQuery{.begin = 0, .count = 10}});
  ASSERT_EQ(page_.RepliesTo(id).size(), 1u);
  EXPECT_TRUE(page_.RepliesTo(id)[0].isError());
}

// The button's id stays across reruns that show the same button, so the
// page keeps its element (and a click in flight) as it is.
TEST_F(QueryTest, ButtonKeepsItsIdAcrossReruns) {
  Start(DownloadApp);
  std::string before = IdOf("Get bytes");
  Serve(WidgetChangeCommand{.widget_id = page_.FindWidget("rerun")->id, .value = Clicked{}});
  EXPECT_EQ(IdOf("Get bytes"), before);
}

void TwoKeysApp() {
  st::download_button("a", std::string("1"), {.key = "same"});
  st::download_button("b", std::string("2"), {.key = "same"});
}

TEST_F(QueryTest, OneKeyOnTwoButtonsIsAnInvalidArgument) {
  Start(TwoKeysApp);
  ASSERT_EQ(page_.Exceptions().size(), 1u) << page_.DebugString();
  EXPECT_THAT(page_.Exceptions()[0].type, HasSubstr("invalid_argument"));
  EXPECT_THAT(page_.Exceptions()[0].message, HasSubstr("same"));
}

// ---- st::dataframe ------------------------------------------------------

FakeChannel* g_channel = nullptr;
bool g_answered_in_run = false;

st::DataFrame Numbers(std::int64_t rows) {
  st::Column<std::int64_t> n;
  for (std::int64_t i = 0; i < rows; ++i) n.push_back(i);
  st::DataFrame frame;
  frame.add("n", std::move(n));
  return frame;
}

// Shows a grid, then asks it for rows (as the page would, while the app is
// still running) and keeps calling st:: until the answer has gone out.
void LongRunApp() {
  static const st::DataFrame frame = Numbers(1000);
  st::dataframe(frame);
  g_channel->Queue(QueryCommand{7, "dataframe::0#1", RowsQuery{.begin = 990, .count = 5}});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline && !g_answered_in_run) {
    st::text("still running");
    for (const auto& sent : g_channel->sent()) {
      if (sent.get().isReply()) g_answered_in_run = true;
    }
  }
  st::text(g_answered_in_run ? "answered during the run" : "not answered");
}

TEST_F(QueryTest, RowsQueryIsAnsweredAtACheckPointDuringARun) {
  g_channel = &channel_;
  g_answered_in_run = false;
  Start(LongRunApp);
  EXPECT_TRUE(page_.HasText("answered during the run")) << page_.DebugString();
  std::vector<ipc::QueryReply::Reader> replies = page_.RepliesTo(7);
  ASSERT_EQ(replies.size(), 1u);
  ASSERT_TRUE(replies[0].isRows()) << replies[0].toString().flatten().cStr();
  auto ids = replies[0].getRows().getColumns()[0].getInt64();
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(ids[0], 990);
  EXPECT_EQ(ids[4], 994);
  EXPECT_EQ(page_.finished_runs(), 1) << "a query does not rerun the app";
}

void GridApp() {
  static const st::DataFrame frame = Numbers(10);
  st::dataframe(frame);
  if (st::button("rerun")) st::text("rerun clicked");
}

TEST_F(QueryTest, GridKeepsItsIdWhileItShowsTheSameFrame) {
  Start(GridApp);
  std::vector<ShownElement> grids = page_.FindElements("dataframe");
  ASSERT_EQ(grids.size(), 1u);
  EXPECT_EQ(grids[0].text, "n\n0\n1\n2\n3\n4\n5\n6\n7\n8\n9");
  std::size_t deltas = 0;
  channel_.Queue(
      WidgetChangeCommand{.widget_id = page_.FindWidget("rerun")->id, .value = Clicked{}});
  runner_->ServeOne();
  deltas = channel_.ApplyNewTo(page_);
  EXPECT_TRUE(page_.HasText("rerun clicked"));
  EXPECT_EQ(deltas, 1u) << "only the new text: the grid of the same frame is not sent again";
}

// A frame with columns and no rows: a query for its first rows gets none,
// and the worker reads nothing past the empty columns.
void EmptyFrameApp() {
  st::DataFrame frame;
  frame.add("n", st::Column<std::int64_t>());
  frame.add("s", std::vector<std::string>{});
  st::dataframe(frame);
}

TEST_F(QueryTest, RowsOfAnEmptyFrameAreNoRows) {
  Start(EmptyFrameApp);
  std::uint32_t id = next_query_++;
  Serve(QueryCommand{id, "dataframe::0#1", RowsQuery{.begin = 0, .count = 10}});
  ASSERT_EQ(page_.RepliesTo(id).size(), 1u);
  ASSERT_TRUE(page_.RepliesTo(id)[0].isRows())
      << page_.RepliesTo(id)[0].toString().flatten().cStr();
  EXPECT_EQ(page_.RepliesTo(id)[0].getRows().getColumns()[0].getInt64().size(), 0u);
}

// One key on a download button in one run and on a grid in the next: two
// elements, the grid's own id, and queries answered by the grid.
bool g_show_grid = false;
void KeyReusedApp() {
  if (g_show_grid) {
    st::dataframe(Numbers(5), {.key = "k"});
  } else {
    st::download_button("Get", std::string("x"), {.key = "k"});
  }
  st::button("switch");
}

TEST_F(QueryTest, OneKeyOnAnotherKindInTheNextRunIsAnotherElement) {
  g_show_grid = false;
  Start(KeyReusedApp);
  std::string button = IdOf("Get");
  g_show_grid = true;
  Serve(WidgetChangeCommand{.widget_id = page_.FindWidget("switch")->id, .value = Clicked{}});
  std::string grid;
  page_.ForEachElement([&](const testing::ElementPath&, ipc::Element::Reader e) {
    if (e.isDataframe()) grid = e.getDataframe().getId().cStr();
  });
  ASSERT_FALSE(grid.empty()) << page_.DebugString();
  EXPECT_NE(grid, button);
  std::uint32_t rows = next_query_++;
  Serve(QueryCommand{rows, grid, RowsQuery{.begin = 0, .count = 5}});
  ASSERT_TRUE(page_.RepliesTo(rows)[0].isRows());
  EXPECT_EQ(page_.RepliesTo(rows)[0].getRows().getColumns()[0].getInt64()[4], 4);
  std::uint32_t stale = next_query_++;
  Serve(QueryCommand{stale, button, DownloadQuery{}});
  EXPECT_TRUE(page_.RepliesTo(stale)[0].isError()) << "the button is gone";
}

// A frame so wide that 500 rows would pass an answer's bounds says so: its
// largest window is answered whole.
void WideFrameApp() {
  st::DataFrame frame;
  for (int c = 0; c < 1000; ++c) {
    st::Column<std::int64_t> values;
    for (std::int64_t r = 0; r < 200; ++r) values.push_back(r * 1000 + c);
    frame.add("c" + std::to_string(c), std::move(values));
  }
  st::dataframe(frame);
}

TEST_F(QueryTest, AWideFramesWindowIsWhatAnAnswerHoldsWhole) {
  Start(WideFrameApp);
  std::optional<ipc::DataFrame::Reader> grid;
  page_.ForEachElement([&](const testing::ElementPath&, ipc::Element::Reader e) {
    if (e.isDataframe()) grid = e.getDataframe();
  });
  ASSERT_TRUE(grid);
  EXPECT_EQ(grid->getMaxWindowRows(), 50u) << "50,000 cells over 1,000 columns";
  std::uint32_t id = next_query_++;
  Serve(QueryCommand{id, grid->getId().cStr(), RowsQuery{.begin = 100, .count = 50}});
  ASSERT_TRUE(page_.RepliesTo(id)[0].isRows());
  auto last = page_.RepliesTo(id)[0].getRows().getColumns()[999].getInt64();
  ASSERT_EQ(last.size(), 50u);
  EXPECT_EQ(last[49], 149 * 1000 + 999);
}

}  // namespace
}  // namespace sluice::runtime
