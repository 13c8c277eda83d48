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
//   memory          PSS of an idle hello worker (/proc/PID/smaps_rollup), just
//                   after the reruns and once its session has been idle past
//                   --idle-trim-ms (the broker's --idle-trim-after), with
//                   the first rerun after that (it faults back in its heap)
//   start faults    minor page faults of a warm worker (/proc/PID/stat), from
//                   its fork until it waits for a session, and what its
//                   session's first run adds; PSS at both points (its own
//                   broker at --prefork 1 --sandbox off). A fault's cost
//                   differs 5x between VMs; the count does not
//                   (baseline: touching 64 MiB of fresh memory, per page)
//
// Loopback only; every phase is bounded in count. Usage:
//   backbone_bench [--starts 300] [--sessions 100] [--reruns 30] [--prefork 4]
//                  [--think-ms 100] [--fault-starts 20] [--idle-trim-ms 5000]
// (--fault-starts N runs only the start-faults phase, N starts; 0 skips it)
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
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

// Cost of one first-touch fault of a 4 KiB page here, in microseconds.
double FirstTouchMicrosPerPage() {
  constexpr std::size_t kBytes = 64u << 20;
  auto start = Clock::now();
  void* block = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED) return 0;
  auto* bytes = static_cast<volatile char*>(block);
  for (std::size_t i = 0; i < kBytes; i += 4096) bytes[i] = 1;
  double micros = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  ::munmap(block, kBytes);
  return micros / (kBytes / 4096);
}

// Field 10 of /proc/PID/stat (minor faults), and field 3 (state).
struct FaultCount {
  long minor = -1;
  char state = '?';
};

FaultCount ReadFaults(pid_t pid) {
  std::string text = testing::ReadProcFile(pid, "stat");
  auto paren = text.rfind(')');  // the command name may hold spaces
  FaultCount count;
  if (paren == std::string::npos) return count;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 10 && fields >> field; ++i) {
    if (i == 3) count.state = field[0];
    if (i == 10) count.minor = std::atol(field.c_str());
  }
  return count;
}

std::vector<pid_t> Workers(pid_t broker) {
  std::vector<pid_t> workers;
  for (pid_t pid : testing::DescendantsOf(broker)) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    if (comm >> name && name == "sluice-worker") workers.push_back(pid);
  }
  return workers;
}

long PssKiB(pid_t pid);

struct StartFaults {
  Samples waiting;        // fork -> waiting for a session
  Samples first_run;      // hello -> first run finished
  Samples pss_waiting;    // KiB
  Samples pss_first_run;  // KiB
};

// The one warm worker of a --prefork 1 broker, once it sleeps with a fault
// count that stopped moving (it reached its wait for a session).
std::optional<pid_t> SettledWarmWorker(pid_t broker) {
  std::optional<pid_t> found;
  long last = -1;
  testing::WaitUntil(
      [&] {
        std::vector<pid_t> workers = Workers(broker);
        if (workers.size() != 1) return false;
        FaultCount now = ReadFaults(workers[0]);
        bool settled = now.state == 'S' && now.minor == last && found == workers[0];
        found = workers[0];
        last = now.minor;
        return settled;
      },
      testing::After(std::chrono::seconds(10)));
  return found;
}

StartFaults MeasureStartFaults(int count) {
  StartFaults faults;
  auto broker = testing::BrokerProcess::Start(
      SLUICE_HELLO_APP, {"--prefork", "1", "--workers", "4", "--sandbox", "off"});
  if (!broker.ok()) {
    std::fprintf(stderr, "cannot start the broker: %s\n",
                 std::string(broker.status().message()).c_str());
    return faults;
  }
  asio::io_context io;
  for (int i = 0; i < count; ++i) {
    std::optional<pid_t> warm = SettledWarmWorker((*broker)->pid());
    if (!warm) break;
    FaultCount waiting = ReadFaults(*warm);
    long pss_waiting = PssKiB(*warm);
    PageClient page(io);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await page.Open((*broker)->port());
          co_await page.Hello();
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.run();
    io.restart();
    FaultCount after = ReadFaults(*warm);
    long pss_after = PssKiB(*warm);
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { co_await page.Close(); },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.run();
    io.restart();
    testing::WaitForExit(*warm, testing::After(std::chrono::seconds(10)));
    if (waiting.minor < 0 || after.minor < 0) continue;
    faults.waiting.Add(static_cast<double>(waiting.minor));
    faults.first_run.Add(static_cast<double>(after.minor - waiting.minor));
    faults.pss_waiting.Add(static_cast<double>(pss_waiting));
    faults.pss_first_run.Add(static_cast<double>(pss_after));
  }
  return faults;
}

void PrintStartFaults(StartFaults faults) {
  double per_page_us = FirstTouchMicrosPerPage();
  std::printf("session start, minor page faults of a warm hello worker (%zu starts; --prefork 1)\n",
              faults.first_run.size());
  std::printf("%-38s %9s %9s %12s\n", "", "p50", "max", "x fault cost");
  auto row = [&](const char* what, Samples& samples) {
    std::printf("%-38s %9.0f %9.0f %9.2f ms\n", what, samples.P50(), samples.Quantile(1.0),
                samples.P50() * per_page_us / 1000);
  };
  row("fork -> waiting for a session", faults.waiting);
  row("hello -> first run finished", faults.first_run);
  std::printf("%-38s %9.0f %9.0f\n", "PSS waiting, KiB", faults.pss_waiting.P50(),
              faults.pss_waiting.Quantile(1.0));
  std::printf("%-38s %9.0f %9.0f\n", "PSS after the first run, KiB", faults.pss_first_run.P50(),
              faults.pss_first_run.Quantile(1.0));
  std::printf("first-touch fault of a fresh 4 KiB page here (baseline): %.2f us\n\n", per_page_us);
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

long PssKiB(pid_t pid) { return ReadMemory(pid).pss; }

// PSS and private memory of every worker of `broker`, in KiB.
struct WorkerMemory {
  Samples pss;
  Samples private_kb;
};

WorkerMemory IdleWorkerMemory(pid_t broker) {
  WorkerMemory memory;
  for (pid_t pid : Workers(broker)) {
    Memory of = ReadMemory(pid);
    if (of.pss > 0) {
      memory.pss.Add(static_cast<double>(of.pss));
      memory.private_kb.Add(static_cast<double>(of.private_kb));
    }
  }
  return memory;
}

void Row(const char* what, double p50, double p99, const char* baseline, double base_p50) {
  std::printf("%-38s %9.3f %9.3f   %-28s %9.3f %8.1fx\n", what, p50, p99, baseline, base_p50,
              base_p50 > 0 ? p50 / base_p50 : 0.0);
}

int Main(int argc, char** argv) {
  int starts = 300, sessions = 100, reruns = 30, prefork = 4, think_ms = 100, fault_starts = 20;
  int idle_trim_ms = 5000;  // the broker's default --idle-trim-after
  bool only_faults = false;
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
    else if (flag == "--idle-trim-ms")
      idle_trim_ms = value;
    else if (flag == "--fault-starts") {
      fault_starts = value;
      only_faults = value > 0;
    }
  }
  if (fault_starts > 0) PrintStartFaults(MeasureStartFaults(fault_starts));
  if (only_faults) return 0;
  auto broker = testing::BrokerProcess::Start(
      SLUICE_HELLO_APP,
      {"--prefork", std::to_string(prefork), "--workers", std::to_string(sessions + 16),
       "--idle-trim-after", std::to_string(idle_trim_ms) + "ms"});
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

  WorkerMemory busy = IdleWorkerMemory((*broker)->pid());
  // Past the idle time, plus a second for the workers' wake-ups.
  WorkerMemory trimmed;
  RerunSamples after_trim;
  if (idle_trim_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(idle_trim_ms + 1000));
    trimmed = IdleWorkerMemory((*broker)->pid());
    after_trim = RunReruns(rerun_io, pages, 1, std::chrono::milliseconds(think_ms), 2);
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
  if (after_trim.round_trip.size() > 0) {
    std::snprintf(label, sizeof(label), "1st rerun after idle trim, ~%d ms", think_ms);
    Row(label, after_trim.round_trip.P50(), after_trim.round_trip.P99(), "Unix socket RTT, 64 B",
        unix_rtt.P50());
  }
  std::printf("\n%zu session starts (--prefork %d); %zu + %zu reruns; closed loop: %.0f reruns/s\n",
              start.open_to_first.size(), prefork, paced.round_trip.size(),
              saturated.round_trip.size(), saturated.per_second());
  std::printf("%d tabs opened at once: all showing their first run after %.1f ms\n", sessions,
              burst_ms);
  std::printf(
      "idle hello worker (of %zu processes): PSS p50 %.0f KiB, max %.0f KiB; private p50 %.0f "
      "KiB\n",
      busy.pss.size(), busy.pss.P50(), busy.pss.Quantile(1.0), busy.private_kb.P50());
  if (trimmed.pss.size() > 0) {
    std::printf(
        "  idle for %d ms (--idle-trim-after %dms): PSS p50 %.0f KiB, max %.0f KiB; private p50 "
        "%.0f KiB\n",
        idle_trim_ms + 1000, idle_trim_ms, trimmed.pss.P50(), trimmed.pss.Quantile(1.0),
        trimmed.private_kb.P50());
  }
  return 0;
}

}  // namespace
}  // namespace sluice::bench

int main(int argc, char** argv) { return sluice::bench::Main(argc, argv); }
