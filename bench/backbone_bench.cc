// bench/backbone: what a viewer feels of the backbone, next to baselines
// measured in the same run on the same machine.
//
//   session start   WebSocket open -> first element, with --prefork
//                   (baseline: a bare fork() + _exit() + waitpid())
//   rerun           widget change -> run finished, N sessions at once, each
//                   changing a widget every ~think ms (viewers), and then
//                   in a closed loop (saturation: every worker busy)
//                   (baseline: a 64-byte Unix socket round trip between
//                   two processes)
//   burst           N tabs opened at once, until all show their first run
//   memory          PSS of an idle hello worker (/proc/PID/smaps_rollup)
//
// Loopback only; every phase is bounded in count. Usage:
//   backbone_bench [--starts 300] [--sessions 100] [--reruns 30] [--prefork 4]
//                  [--think-ms 100]
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench/page_client.h"
#include "bench/stats.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"

namespace sluice::bench {
namespace {

constexpr char kSliderId[] = "slider:x:0";  // the demo's slider "x"

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

Samples ForkExitBaseline(int count) {
  Samples samples;
  for (int i = 0; i < count; ++i) {
    auto start = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0) _exit(0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    samples.Add(Millis(Clock::now() - start));
  }
  return samples;
}

Samples UnixRoundTripBaseline(int count) {
  int sv[2];
  ::socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(sv[0]);
    char buf[64];
    while (::read(sv[1], buf, sizeof(buf)) == sizeof(buf)) {
      if (::write(sv[1], buf, sizeof(buf)) != sizeof(buf)) break;
    }
    _exit(0);
  }
  ::close(sv[1]);
  Samples samples;
  char buf[64] = {};
  for (int i = 0; i < count; ++i) {
    auto start = Clock::now();
    if (::write(sv[0], buf, sizeof(buf)) != sizeof(buf)) break;
    std::size_t got = 0;
    while (got < sizeof(buf)) {
      ssize_t n = ::read(sv[0], buf + got, sizeof(buf) - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    samples.Add(Millis(Clock::now() - start));
  }
  ::close(sv[0]);
  ::waitpid(pid, nullptr, 0);
  return samples;
}

struct StartSamples {
  Samples open_to_first;     // WebSocket open -> first element
  Samples connect_to_first;  // TCP connect start -> first element
};

StartSamples MeasureSessionStarts(std::uint16_t port, int count) {
  StartSamples samples;
  asio::io_context io;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < count; ++i) {
          PageClient page(io);
          auto connect = Clock::now();
          co_await page.Open(port);
          auto open = Clock::now();
          Clock::time_point first = co_await page.Hello();
          samples.open_to_first.Add(Millis(first - open));
          samples.connect_to_first.Add(Millis(first - connect));
          co_await page.Close();
        }
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return samples;
}

// `sessions` pages at once, each doing `reruns` slider changes in turn.
struct RerunSamples {
  Samples round_trip;
  double seconds = 0;  // wall time of the whole phase
  double per_second() const { return seconds > 0 ? round_trip.size() / seconds : 0; }
};

// Opens `count` pages at once and waits for each one's first run.
std::vector<std::unique_ptr<PageClient>> OpenPages(asio::io_context& io, std::uint16_t port,
                                                   int count) {
  std::vector<std::unique_ptr<PageClient>> pages;
  for (int i = 0; i < count; ++i) {
    pages.push_back(std::make_unique<PageClient>(io));
    asio::co_spawn(
        io,
        [page = pages.back().get(), port]() -> asio::awaitable<void> {
          co_await page->Open(port);
          co_await page->Hello();
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
  }
  io.run();
  io.restart();
  return pages;
}

// Every page does `reruns` slider changes at once, pausing `think`
// (jittered +-50%) before each; think == 0 is a closed loop that keeps every
// worker busy.
RerunSamples RunReruns(asio::io_context& io, const std::vector<std::unique_ptr<PageClient>>& pages,
                       int reruns, std::chrono::milliseconds think, int value_offset) {
  RerunSamples samples;
  auto begin = Clock::now();
  for (std::size_t s = 0; s < pages.size(); ++s) {
    asio::co_spawn(
        io,
        [&, page = pages[s].get(), s]() -> asio::awaitable<void> {
          asio::steady_timer pause(io);
          for (int i = 0; i < reruns; ++i) {
            if (think.count() > 0) {
              pause.expires_after(think / 2 + think * ((s * 7919 + i * 104729) % 100) / 100);
              co_await pause.async_wait(asio::use_awaitable);
            }
            auto start = Clock::now();
            co_await page->SetNumber(kSliderId, static_cast<double>((s + i + value_offset) % 100));
            co_await page->WaitRunFinished();
            samples.round_trip.Add(Millis(Clock::now() - start));
          }
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
  }
  io.run();
  io.restart();
  samples.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  return samples;
}

// Pss, Private_* and Rss of one process, in KiB.
struct Memory {
  long pss = 0;
  long private_kb = 0;
  long rss = 0;
};

Memory ReadMemory(pid_t pid) {
  Memory memory;
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string line;
  while (std::getline(in, line)) {  // the first line names the range, not a field
    std::istringstream fields(line);
    std::string key;
    long value = 0;
    if (!(fields >> key >> value)) continue;
    if (key == "Pss:") memory.pss = value;
    if (key == "Rss:") memory.rss = value;
    if (key == "Private_Clean:" || key == "Private_Dirty:") memory.private_kb += value;
  }
  return memory;
}

void Row(const char* what, double p50, double p99, const char* baseline, double base_p50) {
  std::printf("%-38s %9.3f %9.3f   %-28s %9.3f %8.1fx\n", what, p50, p99, baseline, base_p50,
              base_p50 > 0 ? p50 / base_p50 : 0.0);
}

int Main(int argc, char** argv) {
  int starts = 300, sessions = 100, reruns = 30, prefork = 4, think_ms = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--starts")
      starts = value;
    else if (flag == "--sessions")
      sessions = value;
    else if (flag == "--reruns")
      reruns = value;
    else if (flag == "--prefork")
      prefork = value;
    else if (flag == "--think-ms")
      think_ms = value;
  }
  auto broker = testing::BrokerProcess::Start(
      SLUICE_HELLO_APP,
      {"--prefork", std::to_string(prefork), "--workers", std::to_string(sessions + 16)});
  if (!broker.ok()) {
    std::fprintf(stderr, "cannot start the broker: %s\n",
                 std::string(broker.status().message()).c_str());
    return 1;
  }
  std::uint16_t port = (*broker)->port();

  Samples fork_exit = ForkExitBaseline(starts);
  Samples unix_rtt = UnixRoundTripBaseline(2000);
  StartSamples start = MeasureSessionStarts(port, starts);
  asio::io_context rerun_io;
  auto burst_begin = Clock::now();
  auto pages = OpenPages(rerun_io, port, sessions);
  double burst_ms = Millis(Clock::now() - burst_begin);
  RerunSamples paced = RunReruns(rerun_io, pages, reruns, std::chrono::milliseconds(think_ms), 0);
  RerunSamples saturated = RunReruns(rerun_io, pages, reruns, {}, 1);

  std::vector<pid_t> workers = testing::DescendantsOf((*broker)->pid());
  Samples pss, private_kb;
  for (pid_t pid : workers) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    if (!(comm >> name) || name != "sluice-worker") continue;  // the zygote, say
    Memory memory = ReadMemory(pid);
    if (memory.pss > 0) {
      pss.Add(static_cast<double>(memory.pss));
      private_kb.Add(static_cast<double>(memory.private_kb));
    }
  }

  std::printf("sluice backbone benchmark (hello app; %ld cores)\n\n",
              sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("%-38s %9s %9s   %-28s %9s %9s\n", "measure (ms)", "p50", "p99",
              "baseline (same run)", "p50", "ratio");
  Row(("session start, WS open->1st element"), start.open_to_first.P50(), start.open_to_first.P99(),
      "fork()+_exit()+waitpid()", fork_exit.P50());
  Row("session start, connect->1st element", start.connect_to_first.P50(),
      start.connect_to_first.P99(), "fork()+_exit()+waitpid()", fork_exit.P50());
  char label[64];
  std::snprintf(label, sizeof(label), "rerun, %d sessions, ~%d ms apart", sessions, think_ms);
  Row(label, paced.round_trip.P50(), paced.round_trip.P99(), "Unix socket RTT, 64 B",
      unix_rtt.P50());
  std::snprintf(label, sizeof(label), "rerun, %d sessions, closed loop", sessions);
  Row(label, saturated.round_trip.P50(), saturated.round_trip.P99(), "Unix socket RTT, 64 B",
      unix_rtt.P50());
  std::printf("\n%zu session starts (--prefork %d); %zu + %zu reruns; closed loop: %.0f reruns/s\n",
              start.open_to_first.size(), prefork, paced.round_trip.size(),
              saturated.round_trip.size(), saturated.per_second());
  std::printf("%d tabs opened at once: all showing their first run after %.1f ms\n", sessions,
              burst_ms);
  std::printf(
      "idle hello worker (of %zu processes): PSS p50 %.0f KiB, max %.0f KiB; private p50 %.0f "
      "KiB\n",
      pss.size(), pss.P50(), pss.Quantile(1.0), private_kb.P50());
  return 0;
}

}  // namespace
}  // namespace sluice::bench

int main(int argc, char** argv) { return sluice::bench::Main(argc, argv); }
