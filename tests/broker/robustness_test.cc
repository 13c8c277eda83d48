// The broker under pages and conditions that misbehave: a page that stops
// reading, one that floods a busy worker, one that never says hello; a start
// with SIGCHLD ignored, and a process out of file descriptors. Each costs at
// most the connection involved: the broker stays up and starts new sessions.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"
#include "tests/support/tcp_probe.h"
#include "util/unique_fd.h"

namespace sluice::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr uint16_t kPolicyViolation = 1008;

// The broker gives a new WebSocket 10 s to say hello; this leaves room for
// slow (sanitizer) builds.
constexpr seconds kHelloDeadline{20};

// The broker is still up: alive, answering /healthz, starting a session that
// shows its first run (every test app shows "pid: N" first).
void ExpectBrokerServes(BrokerProcess& broker) {
  ASSERT_TRUE(ProcessAlive(broker.pid())) << "the broker exited";
  ASSERT_OK_AND_ASSIGN(HttpResponse health, broker.Healthz());
  EXPECT_EQ(health.status, 200) << health.body;
  ASSERT_OK_AND_ASSIGN(auto fresh, AppSession::Open(broker.port()));
  EXPECT_TRUE(fresh->WorkerPid().has_value()) << fresh->page().DebugString();
}

bool IsEvent(std::string_view line, std::string_view event) {
  std::string field = "\"event\":\"" + std::string(event) + "\"";
  return line.find(field) != std::string_view::npos;
}

// Whether the broker has logged `event` yet, without waiting.
bool HasLogged(BrokerProcess& broker, std::string_view event) {
  auto is_event = [event](std::string_view line) { return IsEvent(line, event); };
  return broker.process().WaitForLine(is_event, Clock::now()).has_value();
}

long CountLogged(BrokerProcess& broker, std::string_view event) {
  std::vector<std::string> lines = broker.process().Lines();
  return std::count_if(lines.begin(), lines.end(),
                       [event](const std::string& line) { return IsEvent(line, event); });
}

// A plain TCP connection to 127.0.0.1:port that sends nothing. Once the
// broker accepts it, it holds one of the broker's descriptors (for the 30 s
// an HTTP request may take); until then it waits in the listen backlog.
absl::StatusOr<UniqueFd> ConnectTcp(uint16_t port, Deadline deadline) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    return fd;
  }
  if (errno != EINPROGRESS) {
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(errno)));
  }
  pollfd writable{fd.get(), POLLOUT, 0};
  int ready;
  do {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    ready = ::poll(&writable, 1, static_cast<int>(std::clamp<long long>(left, 0, 1 << 30)));
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) return absl::DeadlineExceededError("connect did not finish before the deadline");
  int error = 0;
  socklen_t size = sizeof error;
  if (ready < 0 || ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0 || error) {
    return absl::UnavailableError(
        absl::StrCat("connect: ", std::strerror(error != 0 ? error : errno)));
  }
  return fd;
}

// Under AddressSanitizer, let SIGSEGV kill a worker as it would in a normal
// build, instead of ASan exiting with a report.
std::string AsanOptionsLettingCrashesKill() {
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::string options = asan ? std::string(asan) + ":" : "";
  return "ASAN_OPTIONS=" + options + "handle_segv=0:handle_abort=0";
}

TEST(RobustnessTest, PageThatStopsReadingThenHalfClosesDoesNotCrashTheBroker) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kFloodApp));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));

  // 40 MiB for a page that reads none of it: far more than the socket
  // buffers hold, so the broker's write to this page blocks with a piece of
  // a frame half sent, and stays blocked while nothing is read.
  ASSERT_OK(tab->Send("Emit 40 MiB", WidgetInput::Click()));
  // Blocked shows as a send queue that the kernel deems unwritable and
  // that did not move since the last look (a writer still filling it would
  // have added to it).
  const uint16_t page_port = tab->client().local_port();
  absl::StatusOr<TcpSendQueue> queue;
  std::optional<uint32_t> last_queued;
  ASSERT_TRUE(WaitUntil(
      [&] {
        queue = LoopbackTcpSendQueue(broker->port(), page_port);
        if (!queue.ok()) return false;
        bool blocked = !queue->writable() && last_queued == queue->queued_bytes;
        last_queued = queue->queued_bytes;
        return blocked;
      },
      After(kStepTimeout)))
      << "the broker's write to the page never blocked: "
      << (queue.ok() ? absl::StrCat(queue->queued_bytes, " of ", queue->buffer_bytes, " bytes")
                     : queue.status().ToString());
  ASSERT_OK(tab->client().HalfClose());

  // The broker reads end-of-stream with that write in flight and gives up
  // on the page: it detaches the session (to wait for the page to come
  // back). Only then does this side read, which lets the blocked write go
  // on: the piece of the frame it had started is sent from the frame's
  // memory, which must still be alive (AddressSanitizer builds check); then
  // the broker stops mid-message and closes. Whole frames before that must
  // decode.
  const std::string session_field = "\"session\":\"" + tab->page().session()->session_id + "\"";
  ASSERT_TRUE(broker->process().WaitForLine(
      [&](std::string_view line) {
        return IsEvent(line, "session_detached") &&
               line.find(session_field) != std::string_view::npos;
      },
      After(kStepTimeout)))
      << "the broker did not notice the half-close";
  int frames = 0;
  while (true) {
    SCOPED_TRACE(absl::StrCat("after ", frames, " whole frames"));
    absl::StatusOr<Incoming> incoming = tab->client().Receive();
    ASSERT_OK(incoming);
    if (incoming->closed) break;
    ++frames;
  }
  ExpectBrokerServes(*broker);
}

TEST(RobustnessTest, FloodOfWidgetChangesToABusyWorkerIsBounded) {
  constexpr int kChanges = 256;
  constexpr size_t kChangeBytes = 1u << 20;
  constexpr long kBrokerPeakBoundKiB = 200 * 1024;
  // A broker that kept every change for the worker would pass the bound.
  static_assert(kChanges * (kChangeBytes / 1024) > kBrokerPeakBoundKiB);

  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kFloodApp));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  std::optional<WidgetInfo> note = tab->page().FindWidget("note");
  ASSERT_TRUE(note) << tab->page().DebugString();

  // From the moment the app says it hangs, nothing reads the worker's socket:
  // every change sent after that waits in the broker.
  ASSERT_OK(tab->Send("Hang", WidgetInput::Click()));
  ASSERT_TRUE(broker->process().WaitForLine(
      [](std::string_view line) {
        return line.find("flood_app: worker") != std::string_view::npos &&
               line.find("hangs") != std::string_view::npos;
      },
      After(kStepTimeout)))
      << "the app never reached its hang";

  // Sent without reading. Once the broker has had enough it closes the page
  // and discards what the page still sends.
  const WidgetInput big = WidgetInput::Text(std::string(kChangeBytes, 'x'));
  for (int i = 0; i < kChanges; ++i) {
    absl::Status sent = tab->client().SendWidgetChange(note->id, big);
    ASSERT_TRUE(sent.ok()) << "change " << i << ": " << sent;
  }
  ASSERT_OK_AND_ASSIGN(uint16_t code, tab->page().ReceiveUntilClosed(tab->client()));
  EXPECT_EQ(code, kPolicyViolation);

  std::optional<long> peak = StatusKiB(broker->pid(), "VmHWM");
  ASSERT_TRUE(peak) << "no VmHWM in /proc/" << broker->pid() << "/status";
  EXPECT_LT(*peak, kBrokerPeakBoundKiB)
      << "the broker's peak resident memory after " << kChanges << " changes of "
      << kChangeBytes / 1024 << " KiB (now " << StatusKiB(broker->pid(), "VmRSS").value_or(-1)
      << " KiB)";
  ExpectBrokerServes(*broker);
}

TEST(RobustnessTest, ConnectionWithoutHelloIsClosed) {
  ASSERT_OK_AND_ASSIGN(auto broker, BrokerProcess::Start(kStateApp));
  WsClient silent;
  Deadline deadline = After(kHelloDeadline);
  ASSERT_OK(silent.Connect(broker->port()));

  ASSERT_OK_AND_ASSIGN(Incoming incoming, silent.Receive(deadline));
  ASSERT_TRUE(incoming.closed) << "the broker sent a message before hello: "
                               << incoming.message->DebugString();
  EXPECT_EQ(incoming.close_code, kPolicyViolation) << incoming.close_reason;
  ExpectBrokerServes(*broker);
}

TEST(RobustnessTest, IgnoredSigchldAtStartStillReportsCrashes) {
  // As `trap '' CHLD` in a shell, or a service manager, can leave it.
  ChildProcess::Inherited inherited;
  inherited.ignored_signals = {SIGCHLD};
  ASSERT_OK_AND_ASSIGN(
      auto broker,
      BrokerProcess::StartInheriting(inherited, kCrashApp, {}, {AsanOptionsLettingCrashesKill()}));
  ASSERT_OK_AND_ASSIGN(auto tab, AppSession::Open(broker->port()));
  std::optional<pid_t> worker = tab->WorkerPid();
  ASSERT_TRUE(worker) << tab->page().DebugString();

  ASSERT_OK(tab->Send("Segfault", WidgetInput::Click()));
  ASSERT_OK_AND_ASSIGN(NoticeInfo notice, tab->page().ReceiveUntilNotice(tab->client()));
  EXPECT_EQ(notice.kind, ipc::Notice::Kind::CRASHED)
      << NoticeKindName(notice.kind) << ": " << notice.message;
  EXPECT_THAT(notice.message, HasSubstr("SIGSEGV"));
  EXPECT_TRUE(WaitForExit(*worker, After(kStepTimeout)));
  ExpectBrokerServes(*broker);
}

TEST(RobustnessTest, FdExhaustionDoesNotSpinOrHang) {
  // Enough for the broker to start with one warm worker, and few enough to
  // fill quickly.
  constexpr rlim_t kBrokerMaxOpenFiles = 64;
  constexpr size_t kMostConnections = 1000;
  // One retry per 100 ms for the ~10 s this test keeps the broker out of
  // descriptors is ~100; an accept loop that spins logs without end.
  constexpr long kMostAcceptFailures = 1000;

  // UBSan's vptr check asks the kernel, through a pipe, whether the memory
  // it inspects is readable; with no descriptor free the pipe fails and it
  // reports valid objects as having an invalid vptr, which ends the broker.
  // (Its options and suppressions are read lazily, from /proc, so they
  // cannot help.) Such a build cannot run this test.
  if (std::string_view(SLUICE_SANITIZE).find("undefined") != std::string_view::npos ||
      std::string_view(SLUICE_SANITIZE).find("vptr") != std::string_view::npos) {
    GTEST_SKIP() << "UBSan's vptr check misreports in a process out of descriptors "
                    "(SLUICE_SANITIZE="
                 << SLUICE_SANITIZE << ")";
  }
  ChildProcess::Inherited inherited;
  inherited.max_open_files = kBrokerMaxOpenFiles;
  ASSERT_OK_AND_ASSIGN(auto broker,
                       BrokerProcess::StartInheriting(inherited, kStateApp, {"--prefork", "1"}));
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<int> warm = broker->WarmWorkersFromHealthz();
        return warm.ok() && *warm == 1;
      },
      After(kStepTimeout)))
      << "the warm worker was never forked";

  // Two pages that have not said hello yet, connected while descriptors last.
  WsClient silent, late;
  Deadline silent_closed_by = After(kHelloDeadline);
  ASSERT_OK(silent.Connect(broker->port()));
  ASSERT_OK(late.Connect(broker->port()));

  // Idle connections until the broker can accept no more; the last ones
  // stay in its listen backlog.
  std::vector<UniqueFd> idle;
  while (!HasLogged(*broker, "accept_failed") && idle.size() < kMostConnections) {
    ASSERT_OK_AND_ASSIGN(UniqueFd fd, ConnectTcp(broker->port(), After(kStepTimeout)));
    idle.push_back(std::move(fd));
  }
  ASSERT_TRUE(broker->process().WaitForLine(
      [](std::string_view line) { return IsEvent(line, "accept_failed"); }, After(kStepTimeout)))
      << "accept never failed after " << idle.size() << " connections";

  // Out of descriptors, the broker still serves what it has: the late page
  // gets its session from the warm worker. Forking the next warm worker
  // fails (no descriptors for its socket), which must not stall the broker.
  ASSERT_OK(late.SendHello());
  PageModel late_page;
  absl::Status ran = late_page.RunUntilFinished(late);
  ASSERT_TRUE(ran.ok()) << ran << "\n" << late_page.DebugString();
  EXPECT_TRUE(late_page.HasText("x squared is 625")) << late_page.DebugString();
  EXPECT_TRUE(broker->process().WaitForLine(
      [](std::string_view line) { return IsEvent(line, "warm_fork_failed"); }, After(kStepTimeout)))
      << "the refill of the warm pool did not meet the descriptor limit";

  // Its timers run too: the silent page is closed when its hello is due.
  // Until then the broker keeps failing to accept.
  ASSERT_OK_AND_ASSIGN(Incoming incoming, silent.Receive(silent_closed_by));
  ASSERT_TRUE(incoming.closed);
  EXPECT_EQ(incoming.close_code, kPolicyViolation) << incoming.close_reason;

  // Descriptors come back: the broker accepts again.
  idle.clear();
  ExpectBrokerServes(*broker);
  EXPECT_LT(CountLogged(*broker, "accept_failed"), kMostAcceptFailures)
      << "the broker retries a failed accept without pause";
}

}  // namespace
}  // namespace sluice::testing
