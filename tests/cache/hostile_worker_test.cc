// A session whose app turns on the shared arena (tests/apps/hostile_cache_app)
// cannot write to it, by any path the kernel offers a process; trying kills
// only that session, and the keeper and the other sessions go on hitting.
// Nor can it make others wait for ever by claiming a value and sleeping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(HostileWorkerTest, CannotWriteTheArenaAndOthersKeepHitting) {
  // Under AddressSanitizer, let SIGSEGV kill the worker as it would in a
  // normal build, instead of ASan exiting with a report.
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::string options = std::string(asan ? asan : "") + (asan ? ":" : "") + "handle_segv=0";
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(kHostileCacheApp, {}, {"ASAN_OPTIONS=" + options}));
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));
  ASSERT_TRUE(first->page().HasText("arena found")) << first->page().DebugString();
  std::string value = *first->page().TextStartingWith("value ");

  ASSERT_OK_AND_ASSIGN(auto hostile, AppSession::Open(broker->port()));
  EXPECT_EQ(*hostile->page().TextStartingWith("value "), value);
  ASSERT_OK(hostile->Click("mprotect"));
  EXPECT_THAT(*hostile->page().TextStartingWith("mprotect: "), StartsWith("mprotect: refused"));
  ASSERT_OK(hostile->Click("remap"));
  EXPECT_THAT(*hostile->page().TextStartingWith("remap: "), StartsWith("remap: refused"));

  ASSERT_OK(hostile->Send("write", WidgetInput::Click()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo notice, hostile->page().ReceiveUntilNotice(hostile->client()));
  EXPECT_EQ(notice.kind, ipc::Notice::Kind::CRASHED);
  EXPECT_THAT(notice.message, ::testing::AnyOf(HasSubstr("SIGSEGV"), HasSubstr("Segmentation")));

  // The keeper is fine, the entry is intact, and a new session still hits it.
  ASSERT_OK_AND_ASSIGN(auto later, AppSession::Open(broker->port()));
  EXPECT_EQ(*later->page().TextStartingWith("value "), value);
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker->Healthz());
  EXPECT_THAT(health.body, HasSubstr("\"cache\":\"on\""));
}

// "held N" as the page shows it: the pid of the worker that computed it.
std::string HeldBy(const PageModel& page) {
  std::optional<std::string> text = page.TextStartingWith("held ");
  if (!text) return "(none)";
  return text->substr(5, text->find('/') - 5);
}

TEST(HostileWorkerTest, ASessionThatClaimsAndSleepsHoldsOthersUpOnlyForTheWaitTimeout) {
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(kHostileCacheApp, {"--cache-wait-timeout", "1s"}));
  ASSERT_OK_AND_ASSIGN(auto holder, AppSession::Open(broker->port()));
  const std::string holder_pid = std::to_string(*holder->ShownPid());
  // The holder claims the value (its spinner is up once it asked) and sleeps.
  ASSERT_OK(holder->Send("hold", WidgetInput::Click()));
  Deadline deadline = After(kStepTimeout);
  while (!holder->page().HasText("Computing the held value")) {
    ASSERT_OK_AND_ASSIGN(auto incoming, holder->client().Receive(deadline));
    ASSERT_FALSE(incoming.closed);
    holder->page().Apply(incoming.message->get());
  }

  // A second session asking for the same value waits for the timeout, with
  // its spinner up throughout, then computes the value itself.
  ASSERT_OK_AND_ASSIGN(auto waiter, AppSession::Open(broker->port()));
  const std::string waiter_pid = std::to_string(*waiter->ShownPid());
  ASSERT_OK(waiter->Send("fetch", WidgetInput::Click()));
  bool saw_spinner = false;
  bool spinner_gap = false;
  deadline = After(kStepTimeout);
  for (;;) {
    ASSERT_OK_AND_ASSIGN(auto incoming, waiter->client().Receive(deadline));
    ASSERT_FALSE(incoming.closed);
    auto message = incoming.message->get();
    waiter->page().Apply(message);
    bool spinner = waiter->page().HasText("Computing the held value");
    bool value = waiter->page().TextStartingWith("held ").has_value();
    if (saw_spinner && !spinner && !value) spinner_gap = true;
    saw_spinner = saw_spinner || spinner;
    if (message.isRun() && message.getRun().getFinished()) break;
  }
  EXPECT_TRUE(saw_spinner);
  EXPECT_FALSE(spinner_gap) << "the spinner went away before the value came";
  EXPECT_EQ(HeldBy(waiter->page()), waiter_pid) << waiter->page().DebugString();

  // The holder's session still gets the value it computed ...
  ASSERT_OK(holder->page().RunUntilFinished(holder->client()));
  EXPECT_EQ(HeldBy(holder->page()), holder_pid) << holder->page().DebugString();
  // ... but the keeper took the key from it, so its late publish was refused,
  // and a third session gets a value computed after the holder lost the key.
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker->port()));
  EXPECT_GE(metrics.Value("sluice_cache_claims_overdue_total"), 1);
  ASSERT_OK_AND_ASSIGN(auto third, AppSession::Open(broker->port()));
  ASSERT_OK(third->Click("fetch"));
  const std::string third_pid = std::to_string(*third->ShownPid());
  EXPECT_THAT(HeldBy(third->page()), ::testing::AnyOf(waiter_pid, third_pid))
      << "holder " << holder_pid << ": " << third->page().DebugString();
}

}  // namespace
}  // namespace sluice::testing
