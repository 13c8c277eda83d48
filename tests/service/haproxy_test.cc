// The scale-out path of README "Running in production": two real brokers
// behind HAProxy with the shipped examples/haproxy/sluice.cfg. Sessions
// spread over both, every request of a tab reaches the broker that holds
// it (the inserted SERVERID cookie), uploads pass through, and a broker
// stopped with SIGTERM tells its pages and closes them while the other
// keeps serving and takes the new sessions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "tests/broker/test_apps.h"
#include "tests/service/haproxy_process.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/fnv1a.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

constexpr size_t kChunk = 64 << 10;
const std::string kConfig = std::string(SLUICE_SOURCE_DIR) + "/examples/haproxy/sluice.cfg";

// Uploads `content` as `name` to upload_app's "Data file" in `tab` (64 KiB
// chunks, as the page sends them) and waits for the run that shows it.
absl::Status Upload(AppSession& tab, uint32_t id, const std::string& name,
                    const std::string& content) {
  std::optional<WidgetInfo> uploader = tab.page().FindWidget("Data file");
  if (!uploader) return absl::NotFoundError("no uploader\n" + tab.page().DebugString());
  absl::Status sent =
      tab.client().SendUploadBegin(id, uploader->id, name, "text/csv", content.size());
  for (size_t offset = 0; sent.ok() && offset < content.size(); offset += kChunk) {
    sent = tab.client().SendUploadChunk(id, offset, content.substr(offset, kChunk));
  }
  if (sent.ok()) sent = tab.client().SendUploadEnd(id);
  if (!sent.ok()) return sent;
  absl::StatusOr<UploadStatusInfo> status = tab.page().ReceiveUntilUploadSettled(tab.client(), id);
  if (!status.ok()) return status.status();
  if (status->state != ipc::UploadStatus::State::DONE) {
    return absl::DataLossError("upload failed: " + status->message);
  }
  if (absl::Status run = tab.page().RunUntilFinished(tab.client()); !run.ok()) return run;
  if (!tab.page().HasText("name: " + name) ||
      !tab.page().HasText("size: " + std::to_string(content.size())) ||
      !tab.page().HasText("digest: " + Fnv1aHex(content))) {
    return absl::DataLossError("the app shows another file\n" + tab.page().DebugString());
  }
  return absl::OkStatus();
}

// "SERVERID=b1" from "SERVERID=b1; path=/; HttpOnly".
std::string CookiePair(const std::string& set_cookie) {
  return set_cookie.substr(0, set_cookie.find(';'));
}

class HaproxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kHaproxyBinary, X_OK) != 0) {
      GTEST_SKIP() << kHaproxyBinary << " is missing (Debian package haproxy, in ./run's "
                   << "TEST_PACKAGES)";
    }
    for (auto* broker : {&b1_, &b2_}) {
      ASSERT_OK_AND_ASSIGN(*broker, BrokerProcess::Start(kUploadApp, {"--cache-size", "0"}));
    }
    ASSERT_OK_AND_ASSIGN(haproxy_, HaproxyProcess::Start(kConfig, {b1_->port(), b2_->port()}));
  }

  // What a browser does: load the page through HAProxy (which balances it
  // and sets the stickiness cookie), then open the page's WebSocket on the
  // same origin with that cookie, and that origin as its Origin header: the
  // broker's check compares it with the Host that HAProxy passes on.
  std::string PageOrigin() const { return "http://127.0.0.1:" + std::to_string(haproxy_->port()); }
  struct Tab {
    std::string cookie;  // "SERVERID=b1"
    std::unique_ptr<AppSession> session;
  };
  absl::StatusOr<Tab> OpenTab(std::string cookie = "") {
    std::vector<HttpHeader> headers;
    if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
    absl::StatusOr<HttpResponse> page =
        HttpRequest(haproxy_->port(), "GET", "/", headers, "", After(kStepTimeout));
    if (!page.ok()) return page.status();
    if (std::string set = page->Header("Set-Cookie"); !set.empty()) cookie = CookiePair(set);
    if (cookie.empty()) return absl::NotFoundError("the page came without a SERVERID cookie");
    absl::StatusOr<std::unique_ptr<AppSession>> session =
        AppSession::Open(haproxy_->port(), "", After(kStepTimeout), cookie, PageOrigin());
    if (!session.ok()) return session.status();
    return Tab{cookie, *std::move(session)};
  }

  std::unique_ptr<BrokerProcess> b1_, b2_;
  std::unique_ptr<HaproxyProcess> haproxy_;
};

TEST_F(HaproxyTest, SessionsSpreadStickToTheirBrokerAndUploadThroughIt) {
  std::vector<Tab> tabs;
  std::map<std::string, int> per_cookie;
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(Tab tab, OpenTab());
    ++per_cookie[tab.cookie];
    tabs.push_back(std::move(tab));
  }
  // Both brokers got sessions, and each holds exactly the tabs whose cookie
  // names it: the WebSocket followed the page load.
  EXPECT_GE(per_cookie["SERVERID=b1"], 1);
  EXPECT_GE(per_cookie["SERVERID=b2"], 1);
  EXPECT_THAT(b1_->SessionsFromHealthz(), absl::StatusOr<int>(per_cookie["SERVERID=b1"]));
  EXPECT_THAT(b2_->SessionsFromHealthz(), absl::StatusOr<int>(per_cookie["SERVERID=b2"]));

  // A page load that already has the cookie is not re-balanced.
  ASSERT_OK_AND_ASSIGN(Tab again, OpenTab(tabs[0].cookie));
  EXPECT_EQ(again.cookie, tabs[0].cookie);
  BrokerProcess& again_broker = again.cookie == "SERVERID=b1" ? *b1_ : *b2_;
  EXPECT_THAT(again_broker.SessionsFromHealthz(),
              absl::StatusOr<int>(per_cookie[again.cookie] + 1));

  // A 200 KiB upload in 64 KiB chunks reaches the app intact.
  std::string content;
  for (int i = 0; content.size() < 200 * 1024; ++i) content += "row," + std::to_string(i) + "\n";
  EXPECT_OK(Upload(*tabs[1].session, 1, "rows.csv", content));
}

// The Origin check holds behind HAProxy too: a page of another site is
// refused by whichever broker the request reaches.
TEST_F(HaproxyTest, PageOfAnotherSiteCannotOpenASessionThroughIt) {
  WsClient client;
  client.SetOrigin("http://evil.example");
  absl::Status connected = client.Connect(haproxy_->port());
  EXPECT_EQ(connected.code(), absl::StatusCode::kPermissionDenied) << connected;
  EXPECT_EQ(b1_->SessionsFromHealthz().value_or(-1) + b2_->SessionsFromHealthz().value_or(-1), 0);
}

TEST_F(HaproxyTest, ReconnectAfterADroppedConnectionResumesOnTheSameBroker) {
  // Several tabs, so that some are on each broker: each must come back to
  // its own, where its token is known.
  std::vector<Tab> tabs;
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK_AND_ASSIGN(Tab tab, OpenTab());
    tabs.push_back(std::move(tab));
  }
  for (Tab& tab : tabs) {
    ASSERT_TRUE(tab.session->page().session());
    std::string token = tab.session->page().session()->reconnect_token;
    std::optional<pid_t> shown = tab.session->ShownPid();
    ASSERT_TRUE(shown);
    tab.session->client().Drop();  // a network blip
    ASSERT_OK_AND_ASSIGN(auto back, AppSession::Open(haproxy_->port(), token, After(kStepTimeout),
                                                     tab.cookie, PageOrigin()));
    ASSERT_TRUE(back->page().session());
    EXPECT_TRUE(back->page().session()->resumed) << tab.cookie;
    EXPECT_EQ(back->ShownPid(), shown) << "the same worker serves it";
    tab.session = std::move(back);
  }
  EXPECT_THAT(b1_->SessionsFromHealthz().value_or(-1) + b2_->SessionsFromHealthz().value_or(-1), 4);
}

TEST_F(HaproxyTest, BrokerStoppedWithSigtermDrainsItsPagesTheOtherKeepsServing) {
  // Open tabs until each broker has two.
  std::vector<Tab> on_b1, on_b2;
  for (int i = 0; i < 12 && (on_b1.size() < 2 || on_b2.size() < 2); ++i) {
    ASSERT_OK_AND_ASSIGN(Tab tab, OpenTab());
    (tab.cookie == "SERVERID=b1" ? on_b1 : on_b2).push_back(std::move(tab));
  }
  ASSERT_GE(on_b1.size(), 2u);
  ASSERT_GE(on_b2.size(), 2u);

  ASSERT_OK(b1_->process().Kill(SIGTERM));
  // b1 drains: its pages are told it is restarting, then (idle, so at once)
  // that their session ended, and are closed.
  for (Tab& tab : on_b1) {
    ASSERT_OK_AND_ASSIGN(NoticeInfo notice,
                         tab.session->page().ReceiveUntilNotice(tab.session->client()));
    EXPECT_EQ(notice.kind, ipc::Notice::Kind::RESTARTING) << notice.message;
    ASSERT_OK_AND_ASSIGN(notice, tab.session->page().ReceiveUntilNotice(tab.session->client()));
    EXPECT_EQ(notice.kind, ipc::Notice::Kind::ENDED) << notice.message;
    EXPECT_THAT(notice.message, HasSubstr("restarting"));
    EXPECT_OK(tab.session->page().ReceiveUntilClosed(tab.session->client()));
  }
  ASSERT_OK_AND_ASSIGN(int status, b1_->process().Wait(After(kStepTimeout)));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << DescribeWaitStatus(status);

  // b2's sessions go on, state and all.
  uint32_t upload_id = 1;
  for (Tab& tab : on_b2) {
    EXPECT_OK(Upload(*tab.session, upload_id++, "after.csv", "a,b\n1,2\n"));
  }

  // New tabs, even one whose cookie names the stopped broker, land on b2.
  ASSERT_OK_AND_ASSIGN(Tab stale, OpenTab("SERVERID=b1"));
  ASSERT_OK_AND_ASSIGN(Tab fresh, OpenTab());
  EXPECT_EQ(fresh.cookie, "SERVERID=b2");
  EXPECT_THAT(b2_->SessionsFromHealthz(), absl::StatusOr<int>(static_cast<int>(on_b2.size()) + 2));
}

}  // namespace
}  // namespace sluice::testing
