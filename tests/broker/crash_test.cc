// A crashing worker costs only its own session; an exception in app code
// costs not even that.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Under AddressSanitizer, let SIGSEGV and SIGABRT kill the worker as
    // they would in a normal build, instead of ASan exiting with a report.
    const char* asan = std::getenv("ASAN_OPTIONS");
    std::string options = asan ? std::string(asan) + ":" : "";
    options += "handle_segv=0:handle_abort=0";
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kCrashApp, {}, {"ASAN_OPTIONS=" + options}));
  }

  // Clicks `button` in `tab` and expects its worker to die with a crashed
  // notice whose message matches `names_signal`, while `other` goes on.
  void ExpectCrashSparesOthers(const std::string& button,
                               const ::testing::Matcher<std::string>& names_signal) {
    ASSERT_OK_AND_ASSIGN(auto victim, AppSession::Open(broker_->port()));
    ASSERT_OK_AND_ASSIGN(auto other, AppSession::Open(broker_->port()));
    ASSERT_OK(other->Click("Add one"));
    std::optional<pid_t> victim_pid = victim->WorkerPid();
    std::optional<pid_t> other_pid = other->WorkerPid();
    ASSERT_TRUE(victim_pid && other_pid);

    ASSERT_OK(victim->Send(button, WidgetInput::Click()));
    ASSERT_OK_AND_ASSIGN(NoticeInfo notice, victim->page().ReceiveUntilNotice(victim->client()));
    EXPECT_EQ(notice.kind, ipc::Notice::Kind::CRASHED) << notice.message;
    EXPECT_THAT(notice.message, names_signal);
    EXPECT_TRUE(WaitForExit(*victim_pid, After(std::chrono::seconds(1))));

    // The other session keeps its worker and its state.
    ASSERT_OK(other->Click("Add one"));
    EXPECT_TRUE(other->page().HasText("clicks: 2")) << other->page().DebugString();
    EXPECT_EQ(other->WorkerPid(), other_pid);
    EXPECT_TRUE(ProcessAlive(*other_pid));

    // And the service takes new sessions.
    ASSERT_OK_AND_ASSIGN(auto fresh, AppSession::Open(broker_->port()));
    EXPECT_TRUE(fresh->page().HasText("clicks: 0"));
    ASSERT_OK_AND_ASSIGN(HttpResponse health, broker_->Healthz());
    EXPECT_EQ(health.status, 200);
  }

  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(CrashTest, SegfaultingWorkerShowsErrorOthersContinue) {
  ExpectCrashSparesOthers("Segfault", AnyOf(HasSubstr("SIGSEGV"), HasSubstr("Segmentation fault")));
}

TEST_F(CrashTest, AbortingWorkerShowsErrorOthersContinue) {
  ExpectCrashSparesOthers("Abort", AnyOf(HasSubstr("SIGABRT"), HasSubstr("Aborted")));
}

TEST_F(CrashTest, AppExceptionShownAndSessionReruns) {
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker_->port()));
  std::optional<pid_t> worker = tab->WorkerPid();
  const PageModel& page = tab->page();

  ASSERT_OK(tab->Click("Throw"));
  std::vector<ShownException> shown = page.Exceptions();
  ASSERT_EQ(shown.size(), 1u) << page.DebugString();
  EXPECT_THAT(shown[0].type, HasSubstr("runtime_error"));
  EXPECT_EQ(shown[0].message, "boom from app");
  EXPECT_FALSE(page.HasText("end of app")) << "the run went on past the exception";
  EXPECT_TRUE(page.notices().empty()) << page.DebugString();

  // The next interaction reruns normally, on the same worker.
  ASSERT_OK(tab->Click("Add one"));
  EXPECT_TRUE(page.HasText("clicks: 1")) << page.DebugString();
  EXPECT_TRUE(page.HasText("end of app")) << page.DebugString();
  EXPECT_TRUE(page.Exceptions().empty()) << page.DebugString();
  EXPECT_EQ(tab->WorkerPid(), worker);
}

}  // namespace
}  // namespace sluice::testing
