// The page's queries to shown elements (page.capnp Query) over real
// WebSockets to the real broker: a download button's bytes arrive exact and
// its callable runs once per click, never on reruns; what the broker or the
// worker refuses is answered with an error and the session goes on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/page_model.h"
#include "tests/support/status_macros.h"

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
      if (e.isDownloadButton() && std::string_view(e.getDownloadButton().getLabel().cStr()) == label) {
        id = e.getDownloadButton().getId().cStr();
      }
    });
    EXPECT_FALSE(id.empty()) << "no download button '" << label << "' on\n"
                             << page().DebugString();
    return id;
  }

  // Clicks the download button `label` and waits for the whole answer.
  absl::StatusOr<std::string> Download(std::string_view label) {
    std::uint32_t id = next_query_++;
    if (absl::Status sent = session_->client().SendDownloadQuery(id, ButtonId(label));
        !sent.ok()) {
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

}  // namespace
}  // namespace sluice::testing
