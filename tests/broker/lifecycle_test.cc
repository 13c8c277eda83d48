// Running the broker as a service: SIGTERM drains (runs in progress finish,
// pages hear "restarting", exit 0, nothing left running), a new app version
// is served without downtime (POST /admin/reload, SIGUSR2, --watch) while
// open sessions keep the old one, a broken library is refused, and a killed
// zygote is restarted. Real broker on a free loopback port.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "absl/strings/str_cat.h"
#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/http_client.h"
#include "tests/support/process_probe.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

const std::string kVersionAppV1 = SLUICE_VERSION_APP_V1;
const std::string kVersionAppV2 = SLUICE_VERSION_APP_V2;
const std::string kUnloadableApp = SLUICE_UNLOADABLE_APP;
constexpr char kToken[] = "lifecycle-test-token";

// A directory of its own holding the served app library (a copy that the
// test replaces) and the admin token; removed with the object.
class ServedApp {
 public:
  explicit ServedApp(const std::string& first_version) {
    static int serial = 0;
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("sluice-lifecycle-test-", getpid(), "-", ++serial);
    std::filesystem::create_directories(dir_);
    std::ofstream(token_path()) << kToken;
    Replace(first_version);
  }
  ~ServedApp() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string app_path() const { return (dir_ / "app.so").string(); }
  std::string token_path() const { return (dir_ / "token").string(); }

  // Installs `library` at app_path() the way an operator should: a new file
  // renamed over the old one (a new inode; running zygotes keep the old).
  void Replace(const std::string& library) {
    std::filesystem::path next = dir_ / ".app.so.next";
    std::filesystem::copy_file(library, next, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(next, app_path());
  }

 private:
  std::filesystem::path dir_;
};

bool Exited0(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

// Receives and applies messages until `done` holds for one of them (notices
// and all are recorded in `session`'s page). Fails on the deadline or a
// closed connection.
absl::Status ReceiveUntil(AppSession& session,
                          const std::function<bool(ipc::ServerMessage::Reader)>& done,
                          Deadline deadline = After(kStepTimeout)) {
  for (;;) {
    absl::StatusOr<Incoming> received = session.client().Receive(deadline);
    if (!received.ok()) return received.status();
    Incoming& incoming = *received;
    if (incoming.closed) return absl::UnavailableError("the server closed the connection");
    session.page().Apply(incoming.message->get());
    if (done(incoming.message->get())) return absl::OkStatus();
  }
}

bool RunStarted(ipc::ServerMessage::Reader message) {
  return message.isRun() && message.getRun().getStarted();
}
bool RunFinished(ipc::ServerMessage::Reader message) {
  return message.isRun() && message.getRun().getFinished();
}
std::function<bool(ipc::ServerMessage::Reader)> NoticeOf(ipc::Notice::Kind kind) {
  return [kind](ipc::ServerMessage::Reader message) {
    return message.isNotice() && message.getNotice().getKind() == kind;
  };
}

bool HasNotice(const AppSession& session, ipc::Notice::Kind kind) {
  const auto& notices = session.page().notices();
  return std::any_of(notices.begin(), notices.end(),
                     [kind](const NoticeInfo& notice) { return notice.kind == kind; });
}

absl::StatusOr<HttpResponse> PostReload(uint16_t port) {
  std::string authorization = absl::StrCat("Bearer ", kToken);
  HttpHeader headers[] = {{"Authorization", authorization}};
  return HttpRequest(port, "POST", "/admin/reload", headers, "", After(kStepTimeout * 4));
}

std::string CommandName(pid_t pid) {
  std::string name;
  std::ifstream(absl::StrCat("/proc/", pid, "/comm")) >> name;
  return name;
}

pid_t ParentOf(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("PPid:", 0) == 0) return static_cast<pid_t>(std::stol(line.substr(5)));
  }
  return 0;
}

// The broker's zygotes: the children of its reapers (worker/reaper.h).
// Not by name alone: a worker is named like its zygote until it renames
// itself.
std::vector<pid_t> ZygotesOf(pid_t broker) {
  std::vector<pid_t> zygotes = DescendantsOf(broker);
  std::erase_if(zygotes, [](pid_t pid) {
    return CommandName(pid) != "sluice-zygote" || CommandName(ParentOf(pid)) != "sluice-reaper";
  });
  return zygotes;
}

std::vector<pid_t> SortedDescendants(pid_t pid) {
  std::vector<pid_t> pids = DescendantsOf(pid);
  std::sort(pids.begin(), pids.end());
  return pids;
}

// Kills the broker with SIGKILL and checks that every process it had
// (zygotes, workers) goes with it.
void ExpectBrokerSigkillLeavesNothing(BrokerProcess& broker) {
  pid_t broker_pid = broker.pid();
  std::vector<pid_t> descendants = DescendantsOf(broker_pid);
  ASSERT_OK(broker.process().Kill(SIGKILL));
  ASSERT_OK_AND_ASSIGN(int status, broker.process().Wait(After(kStepTimeout)));
  EXPECT_TRUE(WIFSIGNALED(status)) << DescribeWaitStatus(status);
  EXPECT_TRUE(WaitForExit(descendants, After(kStepTimeout)))
      << "a zygote or worker outlived the broker";
  EXPECT_TRUE(WaitUntil([&] { return ProcessesInGroup(broker_pid).empty(); }, After(kStepTimeout)))
      << "left: " << ::testing::PrintToString(ProcessesInGroup(broker_pid));
}

// --- SIGTERM -----------------------------------------------------------

TEST(DrainTest, SigtermLetsTheRunInProgressFinishTellsPagesAndExitsZero) {
  ASSERT_OK_AND_ASSIGN(
      auto broker, BrokerProcess::Start(kSlowApp, {"--drain-timeout", "60s", "--prefork", "1"}));
  ASSERT_OK_AND_ASSIGN(auto idle, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(auto busy, AppSession::Open(broker->port()));
  std::vector<pid_t> processes = DescendantsOf(broker->pid());

  ASSERT_OK(busy->Send("v", WidgetInput::Number(7)));
  ASSERT_OK(ReceiveUntil(*busy, RunStarted));
  ASSERT_OK(broker->process().Kill(SIGTERM));

  // The busy page hears the restart, and still gets the whole run.
  ASSERT_OK(ReceiveUntil(*busy, RunFinished));
  EXPECT_TRUE(busy->page().HasText("done v=7")) << busy->page().DebugString();
  ASSERT_OK(ReceiveUntil(*busy, NoticeOf(ipc::Notice::Kind::ENDED)));
  EXPECT_TRUE(HasNotice(*busy, ipc::Notice::Kind::RESTARTING)) << busy->page().DebugString();
  EXPECT_FALSE(HasNotice(*busy, ipc::Notice::Kind::CRASHED)) << busy->page().DebugString();

  ASSERT_OK_AND_ASSIGN(NoticeInfo first, idle->page().ReceiveUntilNotice(idle->client()));
  EXPECT_EQ(first.kind, ipc::Notice::Kind::RESTARTING);

  ASSERT_OK_AND_ASSIGN(int status, broker->process().Wait(After(kStepTimeout)));
  EXPECT_TRUE(Exited0(status)) << DescribeWaitStatus(status) << "\n" << broker->process().Output();
  EXPECT_TRUE(WaitForExit(processes, After(kStepTimeout))) << "a zygote or worker was left";
}

TEST(DrainTest, NewConnectionsAreRefusedWhileDraining) {
  ServedApp served(kVersionAppV1);
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(served.app_path(), {"--drain-timeout", "60s"}));
  ASSERT_OK_AND_ASSIGN(auto busy, AppSession::Open(broker->port()));
  ASSERT_OK(busy->Send("long run", WidgetInput::Checked(true)));
  ASSERT_OK(ReceiveUntil(*busy, RunStarted));
  ASSERT_OK(broker->process().Kill(SIGTERM));
  ASSERT_OK(ReceiveUntil(*busy, NoticeOf(ipc::Notice::Kind::RESTARTING)));

  // The listening socket is closed: a new tab cannot even connect.
  WsClient late;
  EXPECT_FALSE(late.Connect(broker->port()).ok());

  // A second SIGTERM ends the drain at once.
  ASSERT_OK(broker->process().Kill(SIGTERM));
  ASSERT_OK_AND_ASSIGN(int status, broker->process().Wait(After(kStepTimeout)));
  EXPECT_TRUE(Exited0(status)) << DescribeWaitStatus(status);
  EXPECT_FALSE(busy->page().HasText("long run done"));
}

TEST(DrainTest, DrainTimeoutEndsARunThatTakesTooLong) {
  ServedApp served(kVersionAppV1);
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::Start(served.app_path(), {"--drain-timeout", "1s"}));
  ASSERT_OK_AND_ASSIGN(auto busy, AppSession::Open(broker->port()));
  std::vector<pid_t> processes = DescendantsOf(broker->pid());
  ASSERT_OK(busy->Send("long run", WidgetInput::Checked(true)));
  ASSERT_OK(ReceiveUntil(*busy, RunStarted));
  ASSERT_OK(broker->process().Kill(SIGTERM));

  ASSERT_OK(ReceiveUntil(*busy, NoticeOf(ipc::Notice::Kind::ENDED)));
  EXPECT_THAT(busy->page().notices().back().message, HasSubstr("before this run finished"));
  EXPECT_FALSE(busy->page().HasText("long run done"));
  ASSERT_OK_AND_ASSIGN(int status, broker->process().Wait(After(kStepTimeout)));
  EXPECT_TRUE(Exited0(status)) << DescribeWaitStatus(status);
  EXPECT_TRUE(WaitForExit(processes, After(kStepTimeout))) << "a zygote or worker was left";
}

TEST(DrainTest, IdleBrokerExitsZeroOnSigterm) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kSlowApp, {"--prefork", "2"}));
  std::vector<pid_t> processes = DescendantsOf(broker->pid());
  ASSERT_OK(broker->process().Kill(SIGTERM));
  ASSERT_OK_AND_ASSIGN(int status, broker->process().Wait(After(kStepTimeout)));
  EXPECT_TRUE(Exited0(status)) << DescribeWaitStatus(status);
  EXPECT_TRUE(WaitForExit(processes, After(kStepTimeout))) << "a zygote or worker was left";
}

// `sluice serve` with bad lifecycle flags: exit code 2 and one line naming
// the flag, before anything starts.
TEST(DrainTest, BadLifecycleFlagsAreUsageErrors) {
  const std::vector<std::vector<std::string>> bad = {
      {"--drain-timeout", "soon"}, {"--drain-timeout", "-1s"}, {"--watch=yes"}};
  for (const auto& flags : bad) {
    ChildProcess::Options options;
    options.program = SluiceBinary();
    options.args = {"serve", kSlowApp, "--host", "127.0.0.1", "--port", "0"};
    options.args.insert(options.args.end(), flags.begin(), flags.end());
    ASSERT_OK_AND_ASSIGN(auto process, ChildProcess::Spawn(std::move(options)));
    ASSERT_OK_AND_ASSIGN(int status, process->Wait(After(kStepTimeout)));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << DescribeWaitStatus(status);
    process->WaitForOutputEnd(After(kStepTimeout));
    std::string flag = flags[0].substr(0, flags[0].find('='));
    EXPECT_THAT(process->Output(), HasSubstr(flag)) << process->Output();
  }
}

// --- Reload ------------------------------------------------------------

class ReloadTest : public ::testing::Test {
 protected:
  void StartBroker(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--admin-token-file", served_.token_path(), "--prefork", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(served_.app_path(), args));
  }

  // Waits for the broker's log line saying a new generation serves.
  void WaitForNewGeneration(int generation) {
    std::string wanted = absl::StrCat("\"generation\":", generation);
    EXPECT_TRUE(broker_->process().WaitForLine(
        [&](std::string_view line) {
          return line.find("zygote_generation_current") != std::string_view::npos &&
                 line.find(wanted) != std::string_view::npos;
        },
        After(kStepTimeout * 4)))
        << broker_->process().Output();
  }

  // Opens a session and checks which version of the app it runs.
  void ExpectNewSessionRuns(int version) {
    ASSERT_OK_AND_ASSIGN(auto session, AppSession::Open(broker_->port()));
    EXPECT_TRUE(session->page().HasText(absl::StrCat("version ", version)))
        << session->page().DebugString();
  }

  // A session opened before the reload keeps its worker and its app. (The
  // pid as the worker shows it: at strict each zygote has its own pid
  // namespace, so the same number may name workers of both.)
  void ExpectStillOnVersion1(AppSession& old_session, pid_t old_pid) {
    ASSERT_OK(old_session.Change("v", WidgetInput::Number(3)));
    EXPECT_TRUE(old_session.page().HasText("v=3")) << old_session.page().DebugString();
    EXPECT_TRUE(old_session.page().HasText("version 1")) << old_session.page().DebugString();
    EXPECT_EQ(old_session.ShownPid(), old_pid);
  }

  ServedApp served_{kVersionAppV1};
  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(ReloadTest, AdminReloadServesNewVersionToNewSessionsOnly) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(auto old_session, AppSession::Open(broker_->port()));
  std::optional<pid_t> old_pid = old_session->ShownPid();
  ASSERT_TRUE(old_pid);
  std::vector<pid_t> old_zygotes = ZygotesOf(broker_->pid());
  ASSERT_EQ(old_zygotes.size(), 1u);

  served_.Replace(kVersionAppV2);
  ASSERT_OK_AND_ASSIGN(HttpResponse reply, PostReload(broker_->port()));
  EXPECT_EQ(reply.status, 200) << reply.body;

  // Even the warm workers forked before the reload are not handed out.
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(ExpectNewSessionRuns(2));
  ASSERT_NO_FATAL_FAILURE(ExpectStillOnVersion1(*old_session, *old_pid));

  // The old zygote ends once its last session has.
  EXPECT_TRUE(ProcessAlive(old_zygotes[0]));
  ASSERT_OK(old_session->client().Close());
  EXPECT_TRUE(WaitForExit(old_zygotes[0], After(kStepTimeout)));
  ASSERT_NO_FATAL_FAILURE(ExpectNewSessionRuns(2));

  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker_->port()));
  EXPECT_EQ(metrics.Value("sluice_zygote_generation"), 2);
  EXPECT_EQ(metrics.Value("sluice_zygote_loads_total"), 1);
  EXPECT_EQ(metrics.Value("sluice_zygote_load_failures_total"), 0);
}

TEST_F(ReloadTest, Sigusr2ReloadsTheApp) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(auto old_session, AppSession::Open(broker_->port()));
  std::optional<pid_t> old_pid = old_session->ShownPid();
  ASSERT_TRUE(old_pid);

  served_.Replace(kVersionAppV2);
  ASSERT_OK(broker_->process().Kill(SIGUSR2));
  ASSERT_NO_FATAL_FAILURE(WaitForNewGeneration(2));
  ASSERT_NO_FATAL_FAILURE(ExpectNewSessionRuns(2));
  ASSERT_NO_FATAL_FAILURE(ExpectStillOnVersion1(*old_session, *old_pid));
}

TEST_F(ReloadTest, WatchPicksUpAReplacedFile) {
  ASSERT_NO_FATAL_FAILURE(StartBroker({"--watch"}));
  ASSERT_OK_AND_ASSIGN(auto old_session, AppSession::Open(broker_->port()));
  std::optional<pid_t> old_pid = old_session->ShownPid();
  ASSERT_TRUE(old_pid);

  served_.Replace(kVersionAppV2);
  ASSERT_NO_FATAL_FAILURE(WaitForNewGeneration(2));
  ASSERT_NO_FATAL_FAILURE(ExpectNewSessionRuns(2));
  ASSERT_NO_FATAL_FAILURE(ExpectStillOnVersion1(*old_session, *old_pid));
}

TEST_F(ReloadTest, BrokenLibraryIsRefusedAndTheOldOneKeepsServing) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(auto old_session, AppSession::Open(broker_->port()));
  std::optional<pid_t> old_pid = old_session->ShownPid();
  ASSERT_TRUE(old_pid);

  served_.Replace(kNotAnApp);
  ASSERT_OK_AND_ASSIGN(HttpResponse reply, PostReload(broker_->port()));
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_THAT(reply.body, HasSubstr("\"error\""));
  EXPECT_TRUE(broker_->process().WaitForLine(
      [](std::string_view line) { return line.find("app_reload_refused") != line.npos; },
      After(kStepTimeout)));

  ASSERT_NO_FATAL_FAILURE(ExpectNewSessionRuns(1));
  ASSERT_NO_FATAL_FAILURE(ExpectStillOnVersion1(*old_session, *old_pid));

  // A file that is not even ELF, then a good one again.
  { std::ofstream(served_.app_path(), std::ios::trunc) << "not a library"; }
  ASSERT_OK_AND_ASSIGN(reply, PostReload(broker_->port()));
  EXPECT_EQ(reply.status, 422) << reply.body;
  served_.Replace(kVersionAppV2);
  ASSERT_OK_AND_ASSIGN(reply, PostReload(broker_->port()));
  EXPECT_EQ(reply.status, 200) << reply.body;
  ASSERT_NO_FATAL_FAILURE(ExpectNewSessionRuns(2));
}

TEST_F(ReloadTest, LibraryTheNewZygoteCannotLoadIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(auto old_session, AppSession::Open(broker_->port()));
  std::optional<pid_t> old_pid = old_session->ShownPid();
  ASSERT_TRUE(old_pid);

  served_.Replace(kUnloadableApp);
  ASSERT_OK_AND_ASSIGN(HttpResponse reply, PostReload(broker_->port()));
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_THAT(reply.body, HasSubstr("sluice_test_symbol_nobody_defines"));
  EXPECT_TRUE(broker_->process().WaitForLine(
      [](std::string_view line) { return line.find("app_reload_failed") != line.npos; },
      After(kStepTimeout)));
  EXPECT_EQ(ZygotesOf(broker_->pid()).size(), 1u) << "the failed zygote was left running";

  ASSERT_NO_FATAL_FAILURE(ExpectNewSessionRuns(1));
  ASSERT_NO_FATAL_FAILURE(ExpectStillOnVersion1(*old_session, *old_pid));

  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker_->port()));
  EXPECT_EQ(metrics.Value("sluice_zygote_generation"), 1);
  EXPECT_EQ(metrics.Value("sluice_zygote_load_failures_total"), 1);
}

TEST_F(ReloadTest, ReloadNeedsTheAdminToken) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_OK_AND_ASSIGN(HttpResponse none, HttpRequest(broker_->port(), "POST", "/admin/reload", {},
                                                      "", After(kStepTimeout)));
  EXPECT_EQ(none.status, 401);
  ASSERT_OK_AND_ASSIGN(HttpResponse get,
                       HttpGet(broker_->port(), "/admin/reload", After(kStepTimeout)));
  EXPECT_EQ(get.status, 405);
}

// --- Zygote crash ------------------------------------------------------

class ZygoteCrashTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ZygoteCrashTest, OpenSessionsSurviveAKilledZygoteWhichIsRestarted) {
  ServedApp served(kVersionAppV1);
  ASSERT_OK_AND_ASSIGN(
      auto broker,
      BrokerProcess::Start(served.app_path(), {"--sandbox", GetParam(), "--prefork", "1"}));
  ASSERT_OK_AND_ASSIGN(auto kept, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(auto closed, AppSession::Open(broker->port()));
  ASSERT_OK_AND_ASSIGN(auto victim, AppSession::Open(broker->port()));
  ASSERT_OK(kept->Change("v", WidgetInput::Number(5)));
  std::optional<pid_t> kept_shown = kept->ShownPid();
  std::optional<pid_t> closed_pid = closed->WorkerPid();
  std::optional<pid_t> victim_pid = victim->WorkerPid();
  ASSERT_TRUE(kept_shown && closed_pid && victim_pid);
  std::vector<pid_t> zygotes = ZygotesOf(broker->pid());
  ASSERT_EQ(zygotes.size(), 1u) << ::testing::PrintToString(SortedDescendants(broker->pid()));

  ASSERT_EQ(::kill(zygotes[0], SIGKILL), 0);
  EXPECT_TRUE(broker->process().WaitForLine(
      [](std::string_view line) {
        return line.find("zygote_generation_current") != line.npos &&
               line.find("restart") != line.npos;
      },
      After(kStepTimeout * 2)))
      << broker->process().Output();

  // The open session goes on with its worker and its state.
  ASSERT_OK(kept->Change("v", WidgetInput::Number(6)));
  EXPECT_TRUE(kept->page().HasText("v=6")) << kept->page().DebugString();
  EXPECT_EQ(kept->ShownPid(), kept_shown);
  EXPECT_FALSE(HasNotice(*kept, ipc::Notice::Kind::CRASHED));

  // New sessions come from the new zygote.
  ASSERT_OK_AND_ASSIGN(auto after, AppSession::Open(broker->port()));
  EXPECT_TRUE(after->page().HasText("version 1")) << after->page().DebugString();
  ASSERT_OK(after->Change("v", WidgetInput::Number(4)));
  EXPECT_TRUE(after->page().HasText("v=4"));
  std::vector<pid_t> now = ZygotesOf(broker->pid());
  ASSERT_EQ(now.size(), 1u);
  EXPECT_NE(now[0], zygotes[0]);
  ASSERT_OK_AND_ASSIGN(Metrics metrics, GetMetrics(broker->port()));
  EXPECT_EQ(metrics.Value("sluice_zygote_deaths_total"), 1);
  EXPECT_EQ(metrics.Value("sluice_zygote_up"), 1);
  EXPECT_EQ(metrics.Value("sluice_zygote_generation"), 2);

  // A worker whose zygote is gone still ends with its session.
  ASSERT_OK(closed->client().Close());
  EXPECT_TRUE(WaitForExit(*closed_pid, After(kStepTimeout)));

  // And one that crashes is still reported to its page (by the reaper now).
  ASSERT_EQ(::kill(*victim_pid, SIGKILL), 0);
  ASSERT_OK_AND_ASSIGN(NoticeInfo notice, victim->page().ReceiveUntilNotice(victim->client()));
  EXPECT_EQ(notice.kind, ipc::Notice::Kind::CRASHED);
  EXPECT_THAT(notice.message, HasSubstr("SIGKILL"));

  // And the broker's death still takes everything with it, the old
  // generation's surviving worker included.
  ASSERT_NO_FATAL_FAILURE(ExpectBrokerSigkillLeavesNothing(*broker));
}

TEST_P(ZygoteCrashTest, ReaperEndsOnceTheLastSurvivorHas) {
  ServedApp served(kVersionAppV1);
  ASSERT_OK_AND_ASSIGN(
      auto broker,
      BrokerProcess::Start(served.app_path(), {"--sandbox", GetParam(), "--prefork", "0"}));
  ASSERT_OK_AND_ASSIGN(auto kept, AppSession::Open(broker->port()));
  std::vector<pid_t> zygotes = ZygotesOf(broker->pid());
  ASSERT_EQ(zygotes.size(), 1u);
  std::vector<pid_t> reapers = DescendantsOf(broker->pid());
  std::erase_if(reapers, [](pid_t pid) { return CommandName(pid) != "sluice-reaper"; });
  ASSERT_EQ(reapers.size(), 1u);

  ASSERT_EQ(::kill(zygotes[0], SIGKILL), 0);
  ASSERT_OK(kept->Change("v", WidgetInput::Number(2)));
  EXPECT_TRUE(ProcessAlive(reapers[0]));
  ASSERT_OK(kept->client().SendBye());
  EXPECT_TRUE(WaitForExit(reapers[0], After(kStepTimeout)));
  EXPECT_TRUE(broker->process().WaitForLine(
      [](std::string_view line) {
        return line.find("zygote_generation_current") != line.npos &&
               line.find("restart") != line.npos;
      },
      After(kStepTimeout * 2)));
  ASSERT_OK_AND_ASSIGN(auto after, AppSession::Open(broker->port()));
  EXPECT_TRUE(after->page().HasText("version 1"));
}

TEST_P(ZygoteCrashTest, ZygoteThatKeepsDyingIsRestartedWithBackoff) {
  ServedApp served(kVersionAppV1);
  ASSERT_OK_AND_ASSIGN(
      auto broker,
      BrokerProcess::Start(served.app_path(), {"--sandbox", GetParam(), "--prefork", "0"}));
  for (int crash = 1; crash <= 3; ++crash) {
    std::vector<pid_t> zygotes;
    ASSERT_TRUE(WaitUntil(
        [&] {
          zygotes = ZygotesOf(broker->pid());
          return zygotes.size() == 1;
        },
        After(kStepTimeout * 2)));
    ASSERT_EQ(::kill(zygotes[0], SIGKILL), 0);
    // Each crash within 30 s of the last start doubles the wait.
    std::string wanted = absl::StrCat("\"in_ms\":", 200 << (crash - 1));
    EXPECT_TRUE(broker->process().WaitForLine(
        [&](std::string_view line) {
          return line.find("zygote_restart_scheduled") != line.npos &&
                 line.find(absl::StrCat("\"crashes_in_a_row\":", crash)) != line.npos &&
                 line.find(wanted) != line.npos;
        },
        After(kStepTimeout)))
        << broker->process().Output();
    EXPECT_TRUE(broker->process().WaitForLine(
        [&](std::string_view line) {
          return line.find("zygote_generation_current") != line.npos &&
                 line.find(absl::StrCat("\"generation\":", crash + 1)) != line.npos;
        },
        After(kStepTimeout * 2)));
  }
  ASSERT_OK_AND_ASSIGN(auto session, AppSession::Open(broker->port()));
  EXPECT_TRUE(session->page().HasText("version 1"));
}

INSTANTIATE_TEST_SUITE_P(Levels, ZygoteCrashTest, ::testing::Values("standard", "strict"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice::testing
