// The fixture the runner's unit tests share: an AppRunner driven through a
// FakeChannel (no process, no socket), and the page model of what it sent.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/app_runner.h"
#include "tests/runtime/fake_channel.h"
#include "tests/support/page_model.h"

namespace sluice::runtime {

class RunnerTest : public ::testing::Test {
 protected:
  // Starts a session of `app` and serves until its first run has finished.
  void Start(st::AppFunction app, RunHooks hooks = {}) {
    runner_ = std::make_unique<AppRunner>(channel_, app, hooks);
    Serve(StartCommand{.session_id = "test-session", .max_upload_bytes = 1 << 20});
  }

  // Hands `command` to the runner and serves it; returns how many element
  // deltas the page got for it.
  std::size_t Serve(Command command) {
    channel_.Queue(std::move(command));
    runner_->ServeOne();
    EXPECT_EQ(channel_.queued(), 0u);
    return channel_.ApplyNewTo(page_);
  }

  // The id of the widget labelled `label` ("" and a failure when none).
  std::string IdOf(std::string_view label) {
    std::optional<testing::WidgetInfo> widget = page_.FindWidget(label);
    EXPECT_TRUE(widget.has_value()) << "no widget '" << label << "' on\n" << page_.DebugString();
    return widget ? widget->id : "";
  }

  // The page shows exactly one exception, of `type`, saying `message`.
  void ExpectException(std::string_view type, std::string_view message) {
    ASSERT_THAT(page_.Exceptions(), ::testing::SizeIs(1)) << page_.DebugString();
    EXPECT_THAT(page_.Exceptions()[0].type, ::testing::HasSubstr(std::string(type)));
    EXPECT_THAT(page_.Exceptions()[0].message, ::testing::HasSubstr(std::string(message)));
  }

  testing::FakeChannel channel_;
  std::unique_ptr<AppRunner> runner_;
  testing::PageModel page_;
};

}  // namespace sluice::runtime
