// The live elements end to end (tests/apps/live_app.cc on the real broker,
// over real WebSockets): a progress bar and a slot moved by a long run
// reach the page while the run goes on, and a slot replaced 1,000 times in
// one run ends with its last content, sent in far fewer deltas.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

ElementPath PathOf(capnp::List<uint32_t>::Reader list) {
  ElementPath path;
  for (uint32_t index : list) path.push_back(index);
  return path;
}

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class LiveElementsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kLiveApp));
    ASSERT_OK_AND_ASSIGN(tab_, AppSession::Open(broker_->port()));
  }

  // Receives and applies messages until `done` holds (checked before each
  // one); counts the deltas for counted_path_ on the way.
  absl::Status ReceiveUntil(const std::string& what, const std::function<bool()>& done,
                            Deadline deadline = After(kStepTimeout)) {
    while (!done()) {
      absl::StatusOr<Incoming> incoming = tab_->client().Receive(deadline);
      if (!incoming.ok()) {
        return absl::DeadlineExceededError(absl::StrCat(incoming.status().message(), " before ",
                                                        what, "; page:\n",
                                                        tab_->page().DebugString()));
      }
      if (incoming->closed) return absl::UnavailableError("closed before " + what);
      ipc::ServerMessage::Reader message = incoming->message->get();
      if (message.isRun()) {
        for (ipc::Delta::Reader delta : message.getRun().getDeltas()) {
          if (PathOf(delta.getPath()) == counted_path_) {
            ++counted_deltas_;
          }
        }
      }
      tab_->page().Apply(message);
    }
    return absl::OkStatus();
  }

  // The step number in "<prefix>N" shown on the page, if any.
  std::optional<int> StepShown(std::string_view prefix) const {
    std::optional<std::string> text = tab_->page().TextStartingWith(prefix);
    int step = 0;
    if (!text || !absl::SimpleAtoi(text->substr(prefix.size()), &step)) return std::nullopt;
    return step;
  }

  std::optional<std::string> ProgressText() const {
    std::vector<ShownElement> bars = tab_->page().FindElements("progress");
    if (bars.size() != 1) return std::nullopt;
    return bars[0].text;
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AppSession> tab_;
  ElementPath counted_path_;
  int counted_deltas_ = 0;
};

TEST_F(LiveElementsTest, ProgressAndSlotUpdatesReachThePageWhileTheRunGoesOn) {
  const int finished_before = tab_->page().finished_runs();
  ASSERT_OK(tab_->Send("mode", WidgetInput::Index(2)));  // long: runs until interrupted
  // Two different steps of the slot and the bar, seen one after the other,
  // and no run finished meanwhile: the updates came as the run went on.
  std::optional<int> first;
  ASSERT_OK(ReceiveUntil("a first slot step", [&] {
    first = StepShown("slot step ");
    return first.has_value();
  }));
  std::optional<int> later;
  ASSERT_OK(ReceiveUntil("a later slot step", [&] {
    later = StepShown("slot step ");
    return later.has_value() && *later > *first;
  }));
  std::optional<std::string> bar = ProgressText();
  ASSERT_TRUE(bar.has_value()) << tab_->page().DebugString();
  EXPECT_THAT(*bar, ::testing::StartsWith("step "));
  EXPECT_EQ(tab_->page().finished_runs(), finished_before) << "the long run ended by itself";
  // The slot stays in its one position, right after the bar.
  EXPECT_EQ(tab_->page().FindElements("progress")[0].path, (ElementPath{0, 3}));
  EXPECT_EQ(tab_->page().PathOfText(*tab_->page().TextStartingWith("slot step ")),
            (ElementPath{0, 4}));

  // Interrupting it ends it; the idle run drops both.
  ASSERT_OK(tab_->Change("mode", WidgetInput::Index(0)));
  EXPECT_THAT(tab_->page().FindElements("progress"), IsEmpty());
  EXPECT_FALSE(tab_->page().TextStartingWith("slot step ").has_value());
  EXPECT_THAT(tab_->page().protocol_errors(), IsEmpty());
}

TEST_F(LiveElementsTest, SlotReplacedAThousandTimesEndsWithTheLastContent) {
  counted_path_ = {0, 3};  // pid, notify, mode, then the slot
  const int finished_before = tab_->page().finished_runs();
  ASSERT_OK(tab_->Send("mode", WidgetInput::Index(1)));
  ASSERT_OK(ReceiveUntil("the burst run finished", [&] {
    return tab_->page().finished_runs() > finished_before && tab_->page().HasText("burst done");
  }));
  EXPECT_EQ(tab_->page().PathOfText("replacement 1000"), (ElementPath{0, 3}))
      << tab_->page().DebugString();
  EXPECT_FALSE(tab_->page().HasText("replacement 999"));
  EXPECT_EQ(tab_->page().Texts().back(), "burst done");
  // At most one delta per stream interval (25 ms): the run takes a few frames, not 1,000.
  EXPECT_GE(counted_deltas_, 1);
  EXPECT_LT(counted_deltas_, 500) << "each replacement went out on its own";
  EXPECT_THAT(tab_->page().protocol_errors(), IsEmpty());
}

TEST_F(LiveElementsTest, ToastIsShownOncePerClick) {
  ASSERT_OK(tab_->Click("notify"));
  std::vector<ShownElement> toasts = tab_->page().FindElements("toast");
  ASSERT_THAT(toasts, SizeIs(1)) << tab_->page().DebugString();
  EXPECT_EQ(toasts[0].text, "Saved the report");
  ASSERT_OK(tab_->Change("mode", WidgetInput::Index(0)));
  EXPECT_THAT(tab_->page().FindElements("toast"), IsEmpty());
}

}  // namespace
}  // namespace sluice::testing
