// bench/load: how many concurrent hello sessions one broker holds on this
// machine, and what a viewer feels meanwhile. For each count in --sessions
// it starts a fresh broker (or --brokers of them, sessions dealt round
// robin, as a load balancer would; or uses the one at --port), then
//
//   ramp    opens that many sessions (--open-concurrency at a time), each
//           until its first run finished: session start p50/p99, failures
//   hold    every session changes the demo's slider up to --reruns times,
//           ~--think-ms apart (jittered +-50%), for at most --duration s:
//           rerun p50/p99, failures
//   figures sessions still held at the end, the broker's CPU during the
//           hold (% of one core, /proc/PID/stat), and the total PSS of the
//           broker and every process under it (zygote, keeper, workers;
//           /proc/PID/smaps_rollup) with all sessions open
//
// Loopback only; every phase is bounded in count and in time (a phase that
// is not done by its deadline counts what is left as failures). The client
// spreads its connections over --threads threads, one io_context each.
//
//   load [--sessions 1000,10000] [--reruns 5] [--duration 30] [--think-ms 2000]
//        [--threads 2] [--open-concurrency 64] [--prefork 32]
//        [--cache-size 64M] [--sandbox standard] [--app PATH] [--brokers 1]
//        [--port P --broker-pid PID]   (an already running broker)
//
// A broker holds two descriptors per session (the page's connection and the
// worker's socket), so under a hard RLIMIT_NOFILE of 20,000 one broker holds
// at most ~9,990 sessions; --brokers 2 shows what the machine holds.
//
// Run as root (or with a high enough hard limit): the client raises its own
// RLIMIT_NOFILE to hold the connections, and the broker it starts inherits
// the same limit.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bench/load_page.h"
#include "bench/stats.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"

namespace sluice::bench {
namespace {

constexpr char kSliderId[] = "slider:x:0";  // the demo's slider "x"
constexpr std::chrono::seconds kRampBound{600};
constexpr std::chrono::seconds kCloseBound{60};

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Settings {
  std::vector<int> sessions = {1000, 10000};
  int reruns = 5;
  int duration_s = 30;
  int think_ms = 2000;
  int threads = 2;
  int open_concurrency = 64;
  int prefork = 32;
  std::string cache_size = "64M";
  std::string sandbox = "standard";
  std::string app = SLUICE_HELLO_APP;
  int brokers = 1;  // started per count, unless --port
  int port = 0;     // 0: start brokers per count
  pid_t broker_pid = 0;
};

// CPU time (user + system) a process used so far.
double CpuSeconds(pid_t pid) {
  std::string text = testing::ReadProcFile(pid, "stat");
  auto paren = text.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

long PssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Pss:", 0) == 0) return std::atol(line.c_str() + 4);
  }
  return 0;
}

struct Footprint {
  int processes = 0;
  long pss_kib = 0;
};

Footprint MeasureFootprint(pid_t broker) {
  Footprint footprint;
  std::vector<pid_t> pids = testing::DescendantsOf(broker);
  pids.push_back(broker);
  for (pid_t pid : pids) {
    long pss = PssKiB(pid);
    if (pss <= 0) continue;
    ++footprint.processes;
    footprint.pss_kib += pss;
  }
  return footprint;
}

// One client thread: its io_context (run from creation to destruction)
// and the pages it drives. Only its own thread touches pages and figures
// while a phase runs; the main thread reads them between phases.
struct Lane {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  std::atomic<int> active{0};  // coroutines of the current phase not done yet
  std::vector<std::unique_ptr<LoadPage>> pages;
  Samples starts, reruns;
  int start_failures = 0, rerun_failures = 0, reruns_done = 0;
  std::string first_error;

  ~Lane() { Stop(); }
  void Stop() {
    work.reset();
    io.stop();
    if (thread.joinable()) thread.join();
  }

  void Failed(const std::exception_ptr& e, int* counter) {
    ++*counter;
    if (!first_error.empty()) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& error) {
      first_error = error.what();
    } catch (...) {
      first_error = "unknown error";
    }
  }

  // Runs `body` as a coroutine of this phase on the lane's thread.
  template <class Body>
  void Spawn(Body body) {
    active.fetch_add(1);
    asio::co_spawn(io, std::move(body), [this](std::exception_ptr) { active.fetch_sub(1); });
  }
};

// Waits until every lane's phase is done; false at the deadline (then the
// lanes are stopped: their figures can be read, the run cannot go on).
bool AwaitPhase(std::vector<std::unique_ptr<Lane>>& lanes, Clock::time_point deadline) {
  for (;;) {
    int active = 0;
    for (auto& lane : lanes) active += lane->active.load();
    if (active == 0) return true;
    if (Clock::now() >= deadline) {
      for (auto& lane : lanes) lane->Stop();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Opens `count` sessions over the lanes, `concurrency` opening at a time.
bool Ramp(std::vector<std::unique_ptr<Lane>>& lanes, const std::vector<std::uint16_t>& ports,
          int count, int concurrency) {
  auto next = std::make_shared<std::atomic<int>>(0);
  int per_lane = std::max(1, concurrency / static_cast<int>(lanes.size()));
  for (auto& lane_ptr : lanes) {
    Lane* lane = lane_ptr.get();
    for (int opener = 0; opener < per_lane; ++opener) {
      lane->Spawn([lane, next, ports, count]() -> asio::awaitable<void> {
        for (int k = next->fetch_add(1); k < count; k = next->fetch_add(1)) {
          std::uint16_t port = ports[static_cast<std::size_t>(k) % ports.size()];
          auto page = std::make_unique<LoadPage>(lane->io);
          auto begin = Clock::now();
          try {
            co_await page->Open(port);
            lane->starts.Add(Millis(Clock::now() - begin));
            lane->pages.push_back(std::move(page));
          } catch (...) {
            lane->Failed(std::current_exception(), &lane->start_failures);
          }
        }
      });
    }
  }
  return AwaitPhase(lanes, Clock::now() + kRampBound);
}

// Every open page does up to `reruns` slider changes, `think` apart
// (jittered), until `deadline`.
bool Hold(std::vector<std::unique_ptr<Lane>>& lanes, int reruns, std::chrono::milliseconds think,
          Clock::time_point deadline) {
  for (auto& lane_ptr : lanes) {
    Lane* lane = lane_ptr.get();
    for (std::size_t s = 0; s < lane->pages.size(); ++s) {
      lane->Spawn([lane, s, reruns, think, deadline]() -> asio::awaitable<void> {
        LoadPage* page = lane->pages[s].get();
        asio::steady_timer pause(lane->io);
        for (int i = 0; i < reruns; ++i) {
          pause.expires_after(think / 2 + think * ((s * 7919 + i * 104729) % 100) / 100);
          co_await pause.async_wait(asio::use_awaitable);
          if (Clock::now() >= deadline) co_return;
          auto start = Clock::now();
          try {
            co_await page->Rerun(kSliderId, static_cast<double>((s + i + 1) % 100));
          } catch (...) {
            lane->Failed(std::current_exception(), &lane->rerun_failures);
            co_return;
          }
          lane->reruns.Add(Millis(Clock::now() - start));
          ++lane->reruns_done;
        }
      });
    }
  }
  return AwaitPhase(lanes, deadline + kCloseBound);
}

void CloseAll(std::vector<std::unique_ptr<Lane>>& lanes) {
  for (auto& lane_ptr : lanes) {
    Lane* lane = lane_ptr.get();
    for (auto& page : lane->pages) {
      lane->Spawn([page = page.get()]() -> asio::awaitable<void> {
        try {
          co_await page->Close();
        } catch (...) {
        }
      });
    }
  }
  AwaitPhase(lanes, Clock::now() + kCloseBound);
  for (auto& lane : lanes) lane->Stop();
}

// Enough descriptors for `sessions` connections here and two per session in
// the broker (which inherits the limit); raising the hard limit needs root.
void RaiseDescriptorLimit(int sessions) {
  rlim_t wanted = static_cast<rlim_t>(sessions) * 3 + 4096;
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= wanted) return;
  rlimit raised{wanted, std::max(wanted, limit.rlim_max)};
  if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    raised = {limit.rlim_max, limit.rlim_max};
    ::setrlimit(RLIMIT_NOFILE, &raised);
    std::fprintf(stderr, "load: could not raise RLIMIT_NOFILE to %lu (%s); using %lu\n",
                 static_cast<unsigned long>(wanted), std::strerror(errno),
                 static_cast<unsigned long>(limit.rlim_max));
  }
}

struct Row {
  int target = 0;
  int held = 0;
  int start_failures = 0, rerun_failures = 0, reruns = 0;
  double start_p50 = 0, start_p99 = 0, ramp_s = 0;
  double rerun_p50 = 0, rerun_p99 = 0;
  double broker_cpu_ramp = 0, broker_cpu_hold = 0;  // % of one core
  Footprint footprint;                              // with every session open, before any rerun
  Footprint footprint_after;                        // at the end of the hold
  std::string first_error;
  std::string broker_problems;  // its warnings and errors, one line per kind
};

absl::StatusOr<Row> RunOne(const Settings& settings, int count) {
  Row row;
  row.target = count;
  std::vector<std::unique_ptr<testing::BrokerProcess>> brokers;
  std::vector<std::uint16_t> ports;
  std::vector<pid_t> broker_pids;
  if (settings.port != 0) {
    ports.push_back(static_cast<std::uint16_t>(settings.port));
    if (settings.broker_pid) broker_pids.push_back(settings.broker_pid);
  } else {
    int per_broker = (count + settings.brokers - 1) / settings.brokers;
    for (int b = 0; b < settings.brokers; ++b) {
      auto started = testing::BrokerProcess::Start(
          settings.app, {"--workers", std::to_string(per_broker + settings.prefork + 16),
                         "--prefork", std::to_string(settings.prefork), "--cache-size",
                         settings.cache_size, "--sandbox", settings.sandbox});
      if (!started.ok()) return started.status();
      ports.push_back((*started)->port());
      broker_pids.push_back((*started)->pid());
      brokers.push_back(*std::move(started));
    }
  }
  auto cpu_seconds = [&broker_pids] {
    double total = 0;
    for (pid_t pid : broker_pids) total += CpuSeconds(pid);
    return total;
  };
  auto footprint = [&broker_pids] {
    Footprint total;
    for (pid_t pid : broker_pids) {
      Footprint one = MeasureFootprint(pid);
      total.processes += one.processes;
      total.pss_kib += one.pss_kib;
    }
    return total;
  };
  std::vector<std::unique_ptr<Lane>> lanes;
  for (int i = 0; i < settings.threads; ++i) lanes.push_back(std::make_unique<Lane>());

  double cpu0 = cpu_seconds();
  auto ramp_begin = Clock::now();
  bool ramped = Ramp(lanes, ports, count, settings.open_concurrency);
  row.ramp_s = Seconds(Clock::now() - ramp_begin);
  double cpu1 = cpu_seconds();
  row.broker_cpu_ramp = 100 * (cpu1 - cpu0) / row.ramp_s;
  row.footprint = footprint();

  auto hold_begin = Clock::now();
  if (ramped) {
    Hold(lanes, settings.reruns, std::chrono::milliseconds(settings.think_ms),
         hold_begin + std::chrono::seconds(settings.duration_s));
  }
  double hold_s = Seconds(Clock::now() - hold_begin);
  double cpu2 = cpu_seconds();
  row.broker_cpu_hold = 100 * (cpu2 - cpu1) / hold_s;
  row.footprint_after = footprint();

  Samples starts, reruns;
  for (auto& lane : lanes) {
    for (auto& page : lane->pages) row.held += page->broken() ? 0 : 1;
    row.start_failures += lane->start_failures;
    row.rerun_failures += lane->rerun_failures;
    row.reruns += lane->reruns_done;
    if (row.first_error.empty()) row.first_error = lane->first_error;
  }
  // Sessions neither opened nor failed were cut off by the ramp's bound.
  int opened = 0;
  for (auto& lane : lanes) opened += static_cast<int>(lane->pages.size());
  row.start_failures = std::max(row.start_failures, count - opened);
  for (auto& lane : lanes) {
    starts.Append(lane->starts);
    reruns.Append(lane->reruns);
  }
  row.start_p50 = starts.P50();
  row.start_p99 = starts.P99();
  row.rerun_p50 = reruns.P50();
  row.rerun_p99 = reruns.P99();
  CloseAll(lanes);
  for (const auto& broker : brokers) {
    // What the broker said went wrong, for the report: each kind of warning
    // or error, and each reason a session ended other than its page closing
    // it, once, with how often it came.
    std::map<std::string, int> seen;
    std::map<std::string, std::string> example;
    static const std::regex kEvent("\"level\":\"(warning|error)\".*\"event\":\"([a-z_]+)\"");
    for (const std::string& line : broker->process().Lines()) {
      static const std::regex kEnded("\"event\":\"session_ended\".*\"reason\":\"([^\"]+)\"");
      std::smatch match;
      std::string key;
      if (std::regex_search(line, match, kEvent)) {
        key = match[1].str() + " " + match[2].str();
      } else if (std::regex_search(line, match, kEnded) && match[1].str() != "closed") {
        key = "session_ended " + match[1].str();
      } else {
        continue;
      }
      if (seen[key]++ == 0) example[key] = line;
    }
    for (const auto& [key, count] : seen) {
      row.broker_problems += "         broker " + key + " x" + std::to_string(count) + ": " +
                             example[key].substr(0, 300) + "\n";
    }
  }
  return row;
}

bool ParseList(const std::string& text, std::vector<int>* out) {
  out->clear();
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value) || value <= 0) return false;
    out->push_back(value);
  }
  return !out->empty();
}

int Usage() {
  std::fputs(
      "usage: load [--sessions 1000,10000] [--reruns 5] [--duration 30] [--think-ms 2000]\n"
      "            [--threads 2] [--open-concurrency 64] [--prefork 32] [--cache-size 64M]\n"
      "            [--sandbox standard] [--app PATH] [--brokers 1]\n"
      "            [--port P --broker-pid PID]\n",
      stderr);
  return 2;
}

int Main(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string text = argv[i + 1];
    int value = 0;
    bool number = absl::SimpleAtoi(text, &value) && value >= 0;
    if (flag == "--sessions") {
      if (!ParseList(text, &settings.sessions)) return Usage();
    } else if (flag == "--cache-size") {
      settings.cache_size = text;
    } else if (flag == "--sandbox") {
      settings.sandbox = text;
    } else if (flag == "--app") {
      settings.app = text;
    } else if (!number) {
      return Usage();
    } else if (flag == "--reruns") {
      settings.reruns = value;
    } else if (flag == "--duration") {
      settings.duration_s = value;
    } else if (flag == "--think-ms") {
      settings.think_ms = std::max(value, 1);
    } else if (flag == "--threads") {
      settings.threads = std::max(value, 1);
    } else if (flag == "--open-concurrency") {
      settings.open_concurrency = std::max(value, 1);
    } else if (flag == "--prefork") {
      settings.prefork = value;
    } else if (flag == "--brokers") {
      settings.brokers = std::max(value, 1);
    } else if (flag == "--port") {
      settings.port = value;
    } else if (flag == "--broker-pid") {
      settings.broker_pid = value;
    } else {
      return Usage();
    }
  }
  int most = 0;
  for (int count : settings.sessions) most = std::max(most, count);
  RaiseDescriptorLimit(most);

  std::printf(
      "sluice load (hello app; %ld cores; %d broker(s); --sandbox %s, --cache-size %s, --prefork "
      "%d; reruns %d per session ~%d ms apart within %d s; %d client threads)\n\n",
      ::sysconf(_SC_NPROCESSORS_ONLN), settings.port ? 1 : settings.brokers,
      settings.sandbox.c_str(), settings.cache_size.c_str(), settings.prefork, settings.reruns,
      settings.think_ms, settings.duration_s, settings.threads);
  std::printf("%8s %7s %6s %8s %9s %9s %8s %9s %9s %9s %9s %7s %10s %9s %10s\n", "sessions", "held",
              "fail", "ramp s", "start p50", "start p99", "reruns", "rerun p50", "rerun p99",
              "cpu ramp", "cpu hold", "procs", "PSS MiB", "KiB/sess", "after MiB");
  for (int count : settings.sessions) {
    absl::StatusOr<Row> row = RunOne(settings, count);
    if (!row.ok()) {
      std::printf("%8d  could not run: %s\n", count, std::string(row.status().message()).c_str());
      continue;
    }
    double per_session =
        row->held > 0 ? static_cast<double>(row->footprint.pss_kib) / row->held : 0;
    std::printf(
        "%8d %7d %6d %8.1f %9.2f %9.2f %8d %9.2f %9.2f %8.0f%% %8.0f%% %7d %10.0f %9.0f %10.0f\n",
        count, row->held, count - row->held, row->ramp_s, row->start_p50, row->start_p99,
        row->reruns, row->rerun_p50, row->rerun_p99, row->broker_cpu_ramp, row->broker_cpu_hold,
        row->footprint.processes, static_cast<double>(row->footprint.pss_kib) / 1024, per_session,
        static_cast<double>(row->footprint_after.pss_kib) / 1024);
    if (!row->first_error.empty()) {
      std::printf("         first failure: %s\n", row->first_error.c_str());
    }
    std::fputs(row->broker_problems.c_str(), stdout);
    std::fflush(stdout);
  }
  std::printf(
      "\nstart: connect -> first run finished (ms); rerun: slider change -> run finished (ms);\n"
      "fail: sessions that did not open, or broke during the hold; cpu: the broker processes, %% "
      "of one core;\nPSS: broker + zygote + keeper + workers with every session open, before any "
      "rerun\n(KiB/sess: that / held); after: the same at the end of the hold.\n");
  return 0;
}

}  // namespace
}  // namespace sluice::bench

int main(int argc, char** argv) { return sluice::bench::Main(argc, argv); }
