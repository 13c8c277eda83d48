// What a worker can do with its standard descriptors and its denial
// reports, through the real broker at the strict and the standard level
// (tests/apps/stdio_app.cc). The broker runs as a service manager may start
// it: stdin from a file, stderr appended to a log file. A worker's stdin is
// /dev/null and its stdout and stderr are its own pipes, which the reaper
// turns into bounded "app_output" log lines; nothing it holds is the
// broker's, and the denial count at /metrics is the reaper's.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kStdioApp = SLUICE_STDIO_APP;
constexpr int kLinesPerSecond = 20;
constexpr int kLineBytes = 256;
constexpr int kDenialsPerWorker = 30;
constexpr int kFloodLines = 20000;  // as stdio_app writes them

bool Has(std::string_view line, std::string_view part) {
  return line.find(part) != std::string_view::npos;
}

class StdioTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/sluice-stdio-test-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    std::ofstream(stdin_file()) << "the broker's stdin\n";
    ChildProcess::Inherited inherited;
    inherited.stdin_file = stdin_file();
    inherited.stderr_file = log_file();
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::StartInheriting(
                                      inherited, kStdioApp,
                                      {"--sandbox", GetParam(), "--app-output-lines-per-second",
                                       std::to_string(kLinesPerSecond), "--app-output-line-bytes",
                                       std::to_string(kLineBytes), "--max-denials-per-worker",
                                       std::to_string(kDenialsPerWorker)}));
    ASSERT_OK_AND_ASSIGN(bystander_, AppSession::Open(broker_->port()));
    ASSERT_OK_AND_ASSIGN(attacker_, AppSession::Open(broker_->port()));
  }

  void TearDown() override {
    broker_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string stdin_file() const { return dir_ + "/stdin.txt"; }
  std::string log_file() const { return dir_ + "/broker.log"; }

  // Clicks `button` of `tab` and returns what the page shows as the result.
  static std::string Do(AppSession& tab, const std::string& button) {
    absl::Status clicked = tab.Click(button);
    if (!clicked.ok()) return std::string(clicked.message());
    return tab.page().TextStartingWith("result: ").value_or("no result").substr(8);
  }

  static std::string SessionOf(const AppSession& tab) {
    return tab.page().session() ? tab.page().session()->session_id : "";
  }

  // The first app_output line of `tab`'s session that contains `part`.
  std::optional<std::string> WaitForOutput(const AppSession& tab, std::string_view part) {
    std::string session = "\"session\":\"" + SessionOf(tab) + "\"";
    return broker_->process().WaitForLine(
        [&](std::string_view line) {
          return Has(line, "\"event\":\"app_output\"") && Has(line, session) && Has(line, part);
        },
        After(kStepTimeout));
  }

  int CountOutput(const AppSession& tab, std::string_view part) {
    std::string session = "\"session\":\"" + SessionOf(tab) + "\"";
    int count = 0;
    for (const std::string& line : broker_->process().Lines()) {
      if (Has(line, "\"event\":\"app_output\"") && Has(line, session) && Has(line, part)) ++count;
    }
    return count;
  }

  double Metric(const std::string& name) {
    absl::StatusOr<Metrics> metrics = GetMetrics(broker_->port());
    return metrics.ok() ? metrics->Value(name) : -1;
  }

  // The bystander keeps working, and its output is logged.
  void ExpectBystanderUnharmed() {
    EXPECT_EQ(Do(*bystander_, "Print"), "printed");
    EXPECT_TRUE(WaitForOutput(*bystander_, "stdio_app prints to stdout").has_value())
        << broker_->process().Output();
  }

  std::string dir_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AppSession> bystander_;
  std::unique_ptr<AppSession> attacker_;
};

TEST_P(StdioTest, PrintedLinesAreLoggedAsAppOutputOfTheirSession) {
  ASSERT_EQ(Do(*attacker_, "Print"), "printed");
  std::optional<std::string> out = WaitForOutput(*attacker_, "stdio_app prints to stdout");
  ASSERT_TRUE(out.has_value()) << broker_->process().Output();
  EXPECT_THAT(*out, HasSubstr("\"stream\":\"stdout\""));
  EXPECT_THAT(*out, HasSubstr("\"process\":\"reaper\""));
  std::optional<pid_t> pid = attacker_->WorkerPid();
  ASSERT_TRUE(pid.has_value());
  EXPECT_THAT(*out, HasSubstr("\"worker_pid\":" + std::to_string(*pid) + ","));
  std::optional<std::string> err = WaitForOutput(*attacker_, "stdio_app prints to stderr");
  ASSERT_TRUE(err.has_value()) << broker_->process().Output();
  EXPECT_THAT(*err, HasSubstr("\"stream\":\"stderr\""));
}

TEST_P(StdioTest, ALongLineIsCutAtTheLimit) {
  ASSERT_EQ(Do(*attacker_, "Print a long line"), "ok");
  std::optional<std::string> line = WaitForOutput(*attacker_, "\"text\":\"long x");
  ASSERT_TRUE(line.has_value()) << broker_->process().Output();
  EXPECT_THAT(*line, HasSubstr("\"text\":\"long " + std::string(kLineBytes - 5, 'x') + "\""));
  EXPECT_THAT(*line, HasSubstr("\"cut\":true"));
}

TEST_P(StdioTest, AFloodLosesLinesThatAreCountedAndNobodyElseWaits) {
  ASSERT_EQ(Do(*attacker_, "Flood"), "flooded " + std::to_string(kFloodLines));
  // Every line is either logged or counted as dropped.
  int logged = 0;
  double dropped = 0;
  EXPECT_TRUE(WaitUntil(
      [&] {
        logged = CountOutput(*attacker_, "flood line ");
        dropped = Metric("sluice_app_output_lines_dropped_total");
        return logged + dropped >= kFloodLines;
      },
      After(kStepTimeout)))
      << "logged " << logged << ", dropped " << dropped;
  EXPECT_EQ(logged + dropped, kFloodLines);
  EXPECT_GT(dropped, 0);
  EXPECT_LT(logged, kFloodLines / 2);
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker_->Healthz());
  EXPECT_EQ(health.status, 200);
  ExpectBystanderUnharmed();
  // Once its budget has refilled the flooder's lines are logged again, the
  // first after a line that says how many were dropped.
  EXPECT_TRUE(WaitUntil(
      [&] {
        return Do(*attacker_, "Print") == "printed" &&
               CountOutput(*attacker_, "stdio_app prints to stdout") > 0;
      },
      After(kStepTimeout)));
  std::string session = "\"session\":\"" + SessionOf(*attacker_) + "\"";
  EXPECT_TRUE(broker_->process().WaitForLine(
      [&](std::string_view line) {
        return Has(line, "\"event\":\"app_output_dropped\"") && Has(line, session);
      },
      After(kStepTimeout)));
}

TEST_P(StdioTest, AForgedLogLineIsOnlyTextOfAnAppOutputLine) {
  ASSERT_EQ(Do(*attacker_, "Forge a log line"), "ok");
  std::optional<std::string> out = WaitForOutput(*attacker_, "forged_by_worker");
  ASSERT_TRUE(out.has_value()) << broker_->process().Output();
  EXPECT_THAT(*out, HasSubstr(R"(\"event\":\"forged_by_worker\")"));
  ASSERT_TRUE(WaitForOutput(*attacker_, "\"stream\":\"stderr\"").has_value());
  for (const std::string& line : broker_->process().Lines()) {
    if (Has(line, "forged_by_worker")) {
      EXPECT_THAT(line, HasSubstr("\"event\":\"app_output\"")) << line;
      EXPECT_THAT(line, Not(HasSubstr("\"event\":\"forged_by_worker\""))) << line;
    }
  }
}

// O_NONBLOCK is a flag of the open file description: set on one the broker
// shared, the broker's own writes to a full stderr would fail (and drop).
TEST_P(StdioTest, NonBlockingStdioDoesNotReachTheBrokersStderr) {
  EXPECT_EQ(Do(*attacker_, "Set O_NONBLOCK"), "ok");  // on its own pipes
  std::ifstream fdinfo("/proc/" + std::to_string(broker_->pid()) + "/fdinfo/2");
  std::string flags;
  for (std::string line; std::getline(fdinfo, line);) {
    if (line.rfind("flags:", 0) == 0) flags = line.substr(6);
  }
  ASSERT_FALSE(flags.empty());
  EXPECT_EQ(std::strtol(flags.c_str(), nullptr, 8) & O_NONBLOCK, 0) << "flags:" << flags;
  ExpectBystanderUnharmed();
  EXPECT_EQ(Do(*attacker_, "Print"), "printed");
  EXPECT_TRUE(WaitForOutput(*attacker_, "stdio_app prints to stdout").has_value());
}

TEST_P(StdioTest, TruncatingStderrLeavesTheBrokersLogFile) {
  std::uintmax_t before = std::filesystem::file_size(log_file());
  EXPECT_EQ(Do(*attacker_, "Truncate stderr"), "EINVAL");  // a pipe
  ExpectBystanderUnharmed();
  EXPECT_GE(std::filesystem::file_size(log_file()), before);
  std::ifstream log(log_file());
  std::string first;
  std::getline(log, first);
  EXPECT_THAT(first, HasSubstr("\"ts\":"));
  std::stringstream all;
  all << std::ifstream(log_file()).rdbuf();
  EXPECT_THAT(all.str(), HasSubstr("\"event\":\"listening\""));
}

TEST_P(StdioTest, StdinIsEmptyNotTheBrokers) { EXPECT_EQ(Do(*attacker_, "Read stdin"), "EOF"); }

TEST_P(StdioTest, DenialCountIsTheReapersAndBoundedPerWorker) {
  double before = Metric("sluice_sandbox_denied_syscalls_total");
  // A real denied call is counted.
  EXPECT_EQ(Do(*bystander_, "Denied call"), "EPERM");
  EXPECT_TRUE(WaitUntil([&] { return Metric("sluice_sandbox_denied_syscalls_total") > before; },
                        After(kStepTimeout)));
  EXPECT_EQ(Metric("sluice_sandbox_denied_syscalls_total"), before + 1);
  // The attacker finds no counter page to write, and its forged reports
  // count no more than the bound for one worker.
  std::string forged = Do(*attacker_, "Forge denials");
  EXPECT_THAT(forged, HasSubstr("no page"));
  const double most = before + 1 + kDenialsPerWorker;
  EXPECT_TRUE(WaitUntil([&] { return Metric("sluice_sandbox_denied_syscalls_total") >= most; },
                        After(kStepTimeout)))
      << forged;
  EXPECT_TRUE(broker_->process().WaitForLine(
      [](std::string_view line) { return Has(line, "\"event\":\"denial_reports_capped\""); },
      After(kStepTimeout)));
  // Past its bound, the attacker's real denied calls do not count either;
  // another worker's still do.
  EXPECT_EQ(Do(*attacker_, "Denied call"), "EPERM");
  EXPECT_EQ(Do(*bystander_, "Denied call"), "EPERM");
  EXPECT_TRUE(WaitUntil([&] { return Metric("sluice_sandbox_denied_syscalls_total") > most; },
                        After(kStepTimeout)));
  EXPECT_EQ(Metric("sluice_sandbox_denied_syscalls_total"), most + 1);
}

INSTANTIATE_TEST_SUITE_P(Levels, StdioTest, ::testing::Values("strict", "standard"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice::testing
