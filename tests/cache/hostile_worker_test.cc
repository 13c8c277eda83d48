// A session whose app turns on the shared arena (tests/apps/hostile_cache_app)
// cannot write to it, by any path the kernel offers a process; trying kills
// only that session, and the keeper and the other sessions go on hitting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
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

}  // namespace
}  // namespace sluice::testing
