// What a page sends cannot hurt the broker or other sessions: unparsable,
// oversized and out-of-range messages get a clear error back.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

constexpr uint16_t kMessageTooBig = 1009;

class BadInputTest : public ::testing::Test {
 protected:
  void StartBroker(std::vector<std::string> args = {}) {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kStateApp, args));
  }
  // The broker is still up: alive, answering /healthz, starting sessions.
  void ExpectBrokerServes() {
    EXPECT_TRUE(ProcessAlive(broker_->pid())) << broker_->process().Output();
    absl::StatusOr<HttpResponse> health = broker_->Healthz();
    ASSERT_OK(health);
    EXPECT_EQ(health->status, 200);
    absl::StatusOr<std::unique_ptr<AppSession>> fresh = AppSession::Open(broker_->port());
    ASSERT_OK(fresh);
    EXPECT_TRUE((*fresh)->page().HasText("x squared is 625"));
  }
  // Sends `bytes` as one frame and expects a badInput notice for it.
  void ExpectBadInput(AppSession& tab, std::string_view what, std::string_view bytes,
                      bool binary = true) {
    SCOPED_TRACE(what);
    ASSERT_OK(tab.client().SendRaw(bytes, binary));
    ASSERT_OK_AND_ASSIGN(NoticeInfo notice, tab.page().ReceiveUntilNotice(tab.client()));
    EXPECT_EQ(notice.kind, ipc::Notice::Kind::BAD_INPUT) << notice.message;
    EXPECT_FALSE(notice.message.empty()) << "the error does not say what was wrong";
  }
  std::unique_ptr<BrokerProcess> broker_;
};

// Receives until the server closes the connection.
absl::StatusOr<Incoming> ReceiveUntilClosed(AppSession& tab) {
  while (true) {
    absl::StatusOr<Incoming> incoming = tab.client().Receive();
    if (!incoming.ok() || incoming->closed) return incoming;
    tab.page().Apply(incoming->message->get());
  }
}

std::string ToBytes(capnp::MessageBuilder& message) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

// A well-framed capnp message whose root is a list, not a PageMessage.
std::string ListRootMessage() {
  capnp::MallocMessageBuilder message;
  message.getRoot<capnp::AnyPointer>().initAs<capnp::List<uint32_t>>(3);
  return ToBytes(message);
}

TEST_F(BadInputTest, MalformedMessageGetsErrorAndBrokerStaysUp) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  ASSERT_OK_AND_ASSIGN(auto bystander, AppSession::Open(broker_->port()));
  std::optional<pid_t> worker = tab->WorkerPid();

  ASSERT_NO_FATAL_FAILURE(ExpectBadInput(*tab, "not whole words", "this is not capnp"));
  ASSERT_NO_FATAL_FAILURE(ExpectBadInput(*tab, "corrupt segment table", std::string(16, '\xff')));
  ASSERT_NO_FATAL_FAILURE(ExpectBadInput(*tab, "root is not a struct", ListRootMessage()));
  ASSERT_NO_FATAL_FAILURE(ExpectBadInput(*tab, "text frame", "{\"hello\": {}}", false));

  // The session goes on, on the same worker.
  ASSERT_OK(tab->Click("Add one"));
  EXPECT_TRUE(tab->page().HasText("clicks: 1")) << tab->page().DebugString();
  EXPECT_EQ(tab->WorkerPid(), worker);
  ASSERT_OK(bystander->Click("Add one"));
  EXPECT_TRUE(bystander->page().HasText("clicks: 1")) << bystander->page().DebugString();
  ASSERT_NO_FATAL_FAILURE(ExpectBrokerServes());
}

TEST_F(BadInputTest, OversizedMessageClosesWith1009) {
  ASSERT_NO_FATAL_FAILURE(StartBroker({"--max-message-kb", "16"}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  ASSERT_OK_AND_ASSIGN(auto bystander, AppSession::Open(broker_->port()));

  // Under the limit is fine.
  std::string long_name(8 * 1024, 'a');
  ASSERT_OK(tab->Change("name", WidgetInput::Text(long_name)));
  EXPECT_TRUE(tab->page().HasText("hello, " + long_name));

  // Over it, the connection is closed as "message too big". The send itself
  // may fail when the server closes before reading all of it.
  absl::Status sent = tab->Send("name", WidgetInput::Text(std::string(1024 * 1024, 'b')));
  ASSERT_OK_AND_ASSIGN(Incoming closed, ReceiveUntilClosed(*tab));
  EXPECT_EQ(closed.close_code, kMessageTooBig)
      << "close reason: " << closed.close_reason << "; the oversized send: " << sent;

  ASSERT_OK(bystander->Click("Add one"));
  EXPECT_TRUE(bystander->page().HasText("clicks: 1")) << bystander->page().DebugString();
  ASSERT_NO_FATAL_FAILURE(ExpectBrokerServes());
}

TEST_F(BadInputTest, UnknownWidgetAndOutOfRangeValueAreRejected) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  std::string x = tab->page().FindWidget("x")->id;
  std::string color = tab->page().FindWidget("color")->id;

  struct Case {
    const char* what;
    std::string widget_id;
    WidgetInput value;
  };
  const Case cases[] = {
      {"unknown widget", "no-such-widget", WidgetInput::Click()},
      {"slider above max", x, WidgetInput::Number(1000)},
      {"slider below min", x, WidgetInput::Number(-1)},
      {"text for a slider", x, WidgetInput::Text("7")},
      {"selectbox index past the options", color, WidgetInput::Index(3)},
      {"negative selectbox index", color, WidgetInput::Index(-2)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ASSERT_OK(tab->client().SendWidgetChange(c.widget_id, c.value));
    ASSERT_OK_AND_ASSIGN(NoticeInfo notice, tab->page().ReceiveUntilNotice(tab->client()));
    EXPECT_EQ(notice.kind, ipc::Notice::Kind::BAD_INPUT) << notice.message;
  }
  // Nothing rejected reached the app.
  EXPECT_TRUE(tab->page().HasText("x squared is 625")) << tab->page().DebugString();
  EXPECT_TRUE(tab->page().HasText("color: red")) << tab->page().DebugString();

  ASSERT_OK(tab->Change("x", WidgetInput::Number(100)));
  EXPECT_TRUE(tab->page().HasText("x squared is 10000")) << tab->page().DebugString();
  ASSERT_NO_FATAL_FAILURE(ExpectBrokerServes());
}

}  // namespace
}  // namespace sluice::testing
