// The worker pool: --workers caps live sessions with a clear "busy" for the
// tab that does not fit; --prefork keeps forked workers ready.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::Contains;

TEST(PoolTest, BusyWhenWorkersExhausted) {
  // Without a waiting line (pool_limits_test has the queue).
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(kStateApp, {"--workers", "1", "--max-queue", "0"}));
  ASSERT_OK_AND_ASSIGN(auto first, AppSession::Open(broker->port()));

  // The tab that does not fit is told so, then disconnected: never a hang.
  WsClient second;
  ASSERT_OK(second.Connect(broker->port()));
  ASSERT_OK(second.SendHello());
  PageModel second_page;
  ASSERT_OK_AND_ASSIGN(NoticeInfo notice, second_page.ReceiveUntilNotice(second));
  EXPECT_EQ(notice.kind, ipc::Notice::Kind::BUSY) << notice.message;
  EXPECT_FALSE(notice.message.empty());
  EXPECT_OK(second_page.ReceiveUntilClosed(second));
  EXPECT_FALSE(second_page.last_finished_run().has_value()) << "the busy tab got a run";

  // The session that fits is unaffected.
  ASSERT_OK(first->Click("Add one"));
  EXPECT_TRUE(first->page().HasText("clicks: 1")) << first->page().DebugString();

  // Once it ends, its place is free again.
  ASSERT_OK(first->client().Close());
  EXPECT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<int> sessions = broker->SessionsFromHealthz();
        return sessions.ok() && *sessions == 0;
      },
      After(kStepTimeout)));
  ASSERT_OK_AND_ASSIGN(auto third, AppSession::Open(broker->port()));
  EXPECT_TRUE(third->page().HasText("clicks: 0"));
}

TEST(PoolTest, PreforkedWorkerServesTheNextSession) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp, {"--prefork", "2"}));
  // Two warm workers before any tab connects; then every descendant of the
  // broker (the cache keeper, the zygote's reaper, the zygote and those two
  // workers).
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<int> ready = broker->WarmWorkersFromHealthz();
        return ready.ok() && *ready == 2;
      },
      After(kStepTimeout)));
  std::vector<pid_t> warm = DescendantsOf(broker->pid());
  ASSERT_EQ(warm.size(), 5u) << "the keeper, the reaper, the zygote and two warm workers";

  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  std::optional<pid_t> worker = tab->WorkerPid();
  ASSERT_TRUE(worker.has_value());
  EXPECT_THAT(warm, Contains(*worker)) << "the session did not get a preforked worker";

  // The pool is topped up: the keeper, the reaper, the zygote, the busy
  // worker and two warm ones.
  EXPECT_TRUE(
      WaitUntil([&] { return DescendantsOf(broker->pid()).size() >= 6; }, After(kStepTimeout)));
}

// Minor faults a warm worker's first run takes: the broker's one warm
// worker, once it sleeps with a fault count that stopped moving, then a tab.
absl::StatusOr<long> FirstRunFaults(const std::vector<std::string>& flags) {
  std::vector<std::string> args = {"--prefork", "1", "--sandbox", "off"};
  args.insert(args.end(), flags.begin(), flags.end());
  absl::StatusOr<std::unique_ptr<BrokerProcess>> broker = BrokerProcess::Start(kHeapApp, args);
  if (!broker.ok()) return broker.status();
  std::optional<pid_t> warm;
  long last = -1;
  bool settled = WaitUntil(
      [&] {
        absl::StatusOr<int> ready = (*broker)->WarmWorkersFromHealthz();
        std::vector<pid_t> workers;
        for (pid_t pid : DescendantsOf((*broker)->pid())) {
          if (ReadProcFile(pid, "comm") == "sluice-worker\n") workers.push_back(pid);
        }
        if (!ready.ok() || *ready != 1 || workers.size() != 1) return false;
        std::optional<FaultCount> now = MinorFaults(workers[0]);
        bool same = now && now->state == 'S' && warm == workers[0] && now->minor == last;
        warm = workers[0];
        last = now ? now->minor : -1;
        return same;
      },
      After(kStepTimeout));
  if (!settled) return absl::DeadlineExceededError("no settled warm worker");
  absl::StatusOr<std::unique_ptr<AppSession>> tab = AppSession::Open((*broker)->port());
  if (!tab.ok()) return tab.status();
  if ((*tab)->WorkerPid() != warm)
    return absl::InternalError("the tab did not get the warm worker");
  std::optional<FaultCount> after = MinorFaults(*warm);
  if (!after) return absl::InternalError("the worker is gone");
  return after->minor - last;
}

// The first run writes 768 KiB of fresh heap: with the reserve the warm
// worker faulted in while it waited, that costs it no page fault per page.
TEST(PoolTest, WarmWorkerFaultsInItsFirstRunsHeapWhileItWaits) {
  if (std::string_view(SLUICE_SANITIZE).find("address") != std::string_view::npos) {
    // ASan's allocator quarantines freed blocks instead of handing them out
    // again, so the reserve a warm worker frees cannot serve its first run.
    GTEST_SKIP() << "the heap reserve is glibc malloc's; ASan replaces it (SLUICE_SANITIZE="
                 << SLUICE_SANITIZE << ")";
  }
  ASSERT_OK_AND_ASSIGN(long without, FirstRunFaults({"--warm-heap-kb", "0"}));
  ASSERT_OK_AND_ASSIGN(long with, FirstRunFaults({"--warm-heap-kb", "1024"}));
  EXPECT_GT(without, 192) << "768 KiB of fresh heap is 192 pages";
  EXPECT_LT(with, without - 150) << "with the reserve: " << with << ", without: " << without;
}

}  // namespace
}  // namespace sluice::testing
