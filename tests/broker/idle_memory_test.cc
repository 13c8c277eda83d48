// --idle-trim-after: a worker whose session has gone idle gives its free
// memory back to the kernel, as an operator sees it in the worker's
// /proc/PID/smaps_rollup, and the session still reruns as before.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

// A session of the heap app (tests/apps/heap_app.cc) that has had its first
// run: its broker, its tab and its worker's pid.
struct IdleSession {
  std::unique_ptr<BrokerProcess> broker;
  std::unique_ptr<AppSession> tab;
  pid_t worker = 0;
};

absl::StatusOr<IdleSession> OpenIdleSession(std::string_view idle_trim_after) {
  IdleSession session;
  absl::StatusOr<std::unique_ptr<BrokerProcess>> broker =
      BrokerProcess::Start(kHeapApp, {"--idle-trim-after", std::string(idle_trim_after)});
  if (!broker.ok()) return broker.status();
  session.broker = *std::move(broker);
  absl::StatusOr<std::unique_ptr<AppSession>> tab = AppSession::Open(session.broker->port());
  if (!tab.ok()) return tab.status();
  session.tab = *std::move(tab);
  std::optional<pid_t> worker = session.tab->WorkerPid();
  if (!worker) return absl::InternalError("the page shows no worker pid");
  session.worker = *worker;
  return session;
}

long Pss(pid_t pid) { return SmapsRollupKiB(pid, "Pss").value_or(-1); }

TEST(IdleMemoryTest, IdleSessionsWorkerGivesItsFreeHeapBackAndStillReruns) {
  if (std::string_view(SLUICE_SANITIZE).find("address") != std::string_view::npos) {
    GTEST_SKIP() << "malloc_trim trims glibc malloc's heap; ASan replaces it (SLUICE_SANITIZE="
                 << SLUICE_SANITIZE << ")";
  }
  // Side by side, the same app and the same first run: one broker whose
  // workers keep what runs freed for the next run, one whose idle workers
  // give it back. The first's idle worker is the figure to fall below.
  ASSERT_OK_AND_ASSIGN(IdleSession kept, OpenIdleSession("0"));
  ASSERT_OK_AND_ASSIGN(IdleSession trimmed, OpenIdleSession("200ms"));
  ASSERT_GT(Pss(kept.worker), 0) << "cannot read the worker's /proc/PID/smaps_rollup";

  // The run freed the 768 KiB frame it built; malloc keeps it, resident,
  // for the next run (worker/zygote.cc), until the session goes idle.
  constexpr long kGivenBackKiB = 512;
  long kept_pss = 0;
  long trimmed_pss = 0;
  EXPECT_TRUE(WaitUntil(
      [&] {
        kept_pss = Pss(kept.worker);
        trimmed_pss = Pss(trimmed.worker);
        return trimmed_pss > 0 && trimmed_pss + kGivenBackKiB <= kept_pss;
      },
      After(kStepTimeout)))
      << "idle worker PSS: " << trimmed_pss << " KiB, without --idle-trim-after: " << kept_pss
      << " KiB";

  // The session goes on where it was: its state survived, and its reruns
  // fault back in, and fill, what they use.
  ASSERT_OK(trimmed.tab->Click("Build again"));
  EXPECT_TRUE(trimmed.tab->page().HasText("builds: 1")) << trimmed.tab->page().DebugString();
  EXPECT_TRUE(trimmed.tab->page().HasText("sum: 786432")) << trimmed.tab->page().DebugString();
  ASSERT_OK(trimmed.tab->Click("Build again"));
  EXPECT_TRUE(trimmed.tab->page().HasText("builds: 2")) << trimmed.tab->page().DebugString();
  EXPECT_EQ(trimmed.tab->WorkerPid(), trimmed.worker) << "the session got another worker";
}

}  // namespace
}  // namespace sluice::testing
