// The per-page transport limits (broker/page_limits.h) end to end, over real
// WebSockets to the real broker (tests/apps/large_element_app.cc): a large
// element on its way to a page that reads slowly does not stop the viewer
// from uploading, nor make notices about its bad messages close it; only a
// page that stops reading is dropped, by --write-timeout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/fnv1a.h"
#include "tests/support/http_client.h"
#include "tests/support/page_model.h"
#include "tests/support/process_probe.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/status_macros.h"
#include "tests/support/temp_file.h"
#include "tests/support/ws_client.h"

namespace sluice::testing {
namespace {

using ::absl::StrCat;
using ::testing::HasSubstr;
using State = ipc::UploadStatus::State;

constexpr size_t kLargeTextBytes = 20u << 20;
// The backlog at which the broker used to close a page that uploaded or
// sent a bad message ("the page does not read its messages").
constexpr long kOldCloseBytes = 16 << 20;
constexpr size_t kChunk = 64 << 10;
// What the slow page takes between two messages it sends.
constexpr size_t kSlowReadBytes = 64 << 10;
const std::string kAdminToken = "page-limits-token";

// A file of `size` bytes that is not all one byte.
std::string FileOf(size_t size) {
  std::string content(size, '.');
  for (size_t i = 0; i < size; ++i) content[i] = static_cast<char>('a' + (i * 7) % 26);
  return content;
}

class PageLimitsTest : public ::testing::Test {
 protected:
  // A broker on the large-element app and a page with a small receive
  // buffer (so that what it does not read stays queued in the broker),
  // after its first run.
  void Start(std::vector<std::string> flags = {}) {
    flags.insert(flags.end(), {"--cache-size", "0", "--admin-token-file", token_.path()});
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kLargeElementApp, flags));
    client_.SetReceiveBufferBytes(16 << 10);
    ASSERT_OK(client_.Connect(broker_->port()));
    ASSERT_OK(client_.SendHello());
    ASSERT_OK(page_.RunUntilFinished(client_));
    ASSERT_TRUE(page_.HasText("no file")) << page_.DebugString();
  }

  // The most any session's output the broker holds (/admin/sessions).
  absl::StatusOr<long> Buffered() { return MostOutputBufferedBytes(broker_->port(), kAdminToken); }

  // Has the app show its 20 MiB text, and waits until the broker holds
  // more of it for the page than the old close threshold.
  void QueueTheLargeText() {
    std::optional<WidgetInfo> show = page_.FindWidget("Show a 20 MiB text");
    ASSERT_TRUE(show) << page_.DebugString();
    ASSERT_OK(client_.SendWidgetChange(show->id, WidgetInput::Click()));
    ASSERT_TRUE(
        WaitUntil([&] { return Buffered().value_or(0) > kOldCloseBytes; }, After(kStepTimeout)));
  }

  // Sends `content` as upload `id` to the "Data file" uploader, chunk by
  // chunk; a reading page takes a little of what is queued for it after
  // each message it sends.
  absl::Status Upload(uint32_t id, const std::string& content, bool read_between) {
    std::optional<WidgetInfo> uploader = page_.FindWidget("Data file");
    if (!uploader) return absl::NotFoundError(page_.DebugString());
    auto step = [&](absl::Status sent) -> absl::Status {
      if (!sent.ok() || !read_between) return sent;
      return client_.ReadSome(kSlowReadBytes).status();
    };
    RETURN_IF_ERROR(
        step(client_.SendUploadBegin(id, uploader->id, "data.csv", "text/csv", content.size())));
    for (size_t offset = 0; offset < content.size(); offset += kChunk) {
      RETURN_IF_ERROR(step(client_.SendUploadChunk(id, offset, content.substr(offset, kChunk))));
      // Keeps a page that reads nothing alive against the idle timeout.
      if (!read_between) RETURN_IF_ERROR(client_.SendPong());
    }
    return step(client_.SendUploadEnd(id));
  }

  TempFile token_{kAdminToken + "\n"};
  std::unique_ptr<BrokerProcess> broker_;
  WsClient client_;
  PageModel page_;
};

TEST_F(PageLimitsTest, AViewerUploadsWhileALargeElementIsStillOnItsWayToASlowPage) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(QueueTheLargeText());
  std::string content = FileOf(2 << 20);
  ASSERT_OK(Upload(1, content, /*read_between=*/true));

  // The page reads on: the large text, the upload's statuses, the rerun.
  ASSERT_OK_AND_ASSIGN(UploadStatusInfo settled, page_.ReceiveUntilUploadSettled(client_, 1));
  EXPECT_EQ(settled.state, State::DONE) << settled.message;
  ASSERT_OK(page_.RunUntilFinished(client_));
  EXPECT_TRUE(page_.HasText(StrCat("size: ", content.size()))) << page_.DebugString();
  EXPECT_TRUE(page_.HasText("digest: " + Fnv1aHex(content)));
  std::optional<std::string> large = page_.TextStartingWith("large text ");
  ASSERT_TRUE(large) << page_.DebugString();
  EXPECT_EQ(large->size(), kLargeTextBytes);
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker_->port()));
  EXPECT_EQ(metrics.Value("sluice_page_write_stalls_total"), 0);
  EXPECT_THAT(broker_->SessionsFromHealthz(), absl::StatusOr<int>(1));
}

TEST_F(PageLimitsTest, BadMessagesBehindALargeBacklogAreAnsweredNotClosedFor) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_NO_FATAL_FAILURE(QueueTheLargeText());
  constexpr int kBadMessages = 5;
  for (int i = 0; i < kBadMessages; ++i) {
    ASSERT_OK(client_.SendRaw(std::string(16, '\xff')));
    ASSERT_OK(client_.ReadSome(kSlowReadBytes).status());
  }
  // Every one is answered, and the page goes on. The answers may overtake
  // the large text: the broker counts it as held while it still reads its
  // frame from the worker, before the frame joins the page's queue.
  for (int i = 0; i < kBadMessages; ++i) {
    ASSERT_OK_AND_ASSIGN(NoticeInfo notice, page_.ReceiveUntilNotice(client_));
    EXPECT_EQ(notice.kind, ipc::Notice::Kind::BAD_INPUT) << notice.message;
  }
  if (!page_.TextStartingWith("large text ")) ASSERT_OK(page_.RunUntilFinished(client_));
  std::optional<std::string> large = page_.TextStartingWith("large text ");
  ASSERT_TRUE(large) << page_.DebugString();
  EXPECT_EQ(large->size(), kLargeTextBytes);
  std::optional<WidgetInfo> show = page_.FindWidget("Show a 20 MiB text");
  ASSERT_TRUE(show);
  ASSERT_OK(client_.SendWidgetChange(show->id, WidgetInput::Click()));
  ASSERT_OK(page_.RunUntilFinished(client_));
  EXPECT_THAT(broker_->SessionsFromHealthz(), absl::StatusOr<int>(1));
}

// Not reading is judged by progress: a page that uploads behind a large
// backlog and reads nothing at all is not closed for the backlog (its
// upload reaches the app), but dropped once nothing has gone to it for
// --write-timeout; its session then waits for it, and shows the file.
TEST_F(PageLimitsTest, APageThatStopsReadingIsDroppedByTheWriteTimeoutNotForItsBacklog) {
  ASSERT_NO_FATAL_FAILURE(Start({"--write-timeout", "5s", "--reconnect-grace", "60s"}));
  ASSERT_TRUE(page_.session());
  std::string token = page_.session()->reconnect_token;
  ASSERT_NO_FATAL_FAILURE(QueueTheLargeText());
  std::string content = FileOf(1 << 20);
  ASSERT_OK(Upload(1, content, /*read_between=*/false));

  // The pongs are a heartbeat, not a wait: the client stays alive until dropped.
  std::optional<std::string> line = broker_->process().WaitForLine(
      [](std::string_view l) { return l.find("\"page_write_stalled\"") != l.npos; },
      After(kStepTimeout), [&] { (void)client_.SendPong(); });
  ASSERT_TRUE(line) << broker_->process().Output();
  EXPECT_THAT(*line, HasSubstr("\"write_timeout\":\"5s\""));
  EXPECT_TRUE(broker_->process().WaitForLine(
      [](std::string_view l) { return l.find("\"session_detached\"") != l.npos; },
      After(kStepTimeout)));
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker_->port()));
  EXPECT_EQ(metrics.Value("sluice_page_write_stalls_total"), 1);

  // The upload had reached the app: the page that comes back sees the file.
  ASSERT_OK_AND_ASSIGN(auto back, AppSession::Open(broker_->port(), token));
  ASSERT_TRUE(back->page().session() && back->page().session()->resumed);
  for (int run = 0; run < 3 && !back->page().HasText(StrCat("size: ", content.size())); ++run) {
    ASSERT_OK(back->page().RunUntilFinished(back->client()));
  }
  EXPECT_TRUE(back->page().HasText("digest: " + Fnv1aHex(content))) << back->page().DebugString();
}

}  // namespace
}  // namespace sluice::testing
