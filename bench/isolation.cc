// bench/isolation: what the worker sandbox costs a viewer, with
// --sandbox=strict, standard and off served side by side in the same run
// (three brokers on the hello app), measured in interleaved rounds so that
// the machine's noise falls on all three alike. Ratios are against off.
//
//   session start, warm   WebSocket open -> first element, --prefork 2 (the
//                         worker was forked and contained before the tab came)
//   session start, cold   the same with --prefork 0: fork, the sandbox
//                         checklist and the first run are all on the path
//   rerun                 slider change -> run finished, one session
//
// Usage: isolation [--rounds 10] [--starts 20] [--reruns 200]
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/page_client.h"
#include "bench/stats.h"
#include "tests/support/broker_process.h"
#include "tests/support/http_client.h"

namespace sluice::bench {
namespace {

constexpr char kSliderId[] = "slider:x:0";  // the demo's slider "x"
const char* const kLevels[] = {"off", "standard", "strict"};
constexpr int kLevelCount = 3;

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

template <class Body>
void RunOn(asio::io_context& io, Body body) {
  asio::co_spawn(io, body, [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  io.restart();
}

void MeasureStarts(std::uint16_t port, int count, Samples* samples) {
  asio::io_context io;
  RunOn(io, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < count; ++i) {
      PageClient page(io);
      co_await page.Open(port);
      auto open = Clock::now();
      Clock::time_point first = co_await page.Hello();
      samples->Add(Millis(first - open));
      co_await page.Close();
    }
  });
}

void MeasureReruns(std::uint16_t port, int count, Samples* samples) {
  asio::io_context io;
  RunOn(io, [&]() -> asio::awaitable<void> {
    PageClient page(io);
    co_await page.Open(port);
    co_await page.Hello();
    for (int i = 0; i < count; ++i) {
      auto start = Clock::now();
      co_await page.SetNumber(kSliderId, static_cast<double>(i % 100));
      co_await page.WaitRunFinished();
      samples->Add(Millis(Clock::now() - start));
    }
    co_await page.Close();
  });
}

// sluice_sandbox_denied_syscalls_total of a broker: a legitimate worker
// should never be refused anything.
std::string DeniedSyscalls(const testing::BrokerProcess& broker) {
  auto metrics = testing::HttpGet(broker.port(), "/metrics", testing::After(testing::kStepTimeout));
  if (!metrics.ok()) return "?";
  std::string name = "\nsluice_sandbox_denied_syscalls_total ";
  std::size_t at = metrics->body.find(name);
  if (at == std::string::npos) return "?";
  std::size_t end = metrics->body.find('\n', at + name.size());
  return metrics->body.substr(at + name.size(), end - at - name.size());
}

std::unique_ptr<testing::BrokerProcess> Serve(const std::string& level, int prefork) {
  auto broker = testing::BrokerProcess::Start(
      SLUICE_HELLO_APP, {"--sandbox", level, "--prefork", std::to_string(prefork)});
  if (!broker.ok()) {
    std::fprintf(stderr, "cannot start the broker (--sandbox=%s): %s\n", level.c_str(),
                 std::string(broker.status().message()).c_str());
    std::exit(1);
  }
  return *std::move(broker);
}

int Main(int argc, char** argv) {
  int rounds = 10, starts = 20, reruns = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--rounds") rounds = value;
    if (flag == "--starts") starts = value;
    if (flag == "--reruns") reruns = value;
  }
  std::unique_ptr<testing::BrokerProcess> warm[kLevelCount], cold[kLevelCount];
  for (int l = 0; l < kLevelCount; ++l) {
    warm[l] = Serve(kLevels[l], 2);
    cold[l] = Serve(kLevels[l], 0);
  }
  Samples warm_start[kLevelCount], cold_start[kLevelCount], rerun[kLevelCount];
  for (int round = 0; round < rounds; ++round) {
    for (int l = 0; l < kLevelCount; ++l) {
      MeasureStarts(warm[l]->port(), starts, &warm_start[l]);
      MeasureStarts(cold[l]->port(), starts, &cold_start[l]);
      MeasureReruns(warm[l]->port(), reruns / rounds, &rerun[l]);
    }
  }

  std::printf(
      "sluice isolation benchmark (hello app; %ld cores; %d rounds interleaving the levels)\n\n",
      sysconf(_SC_NPROCESSORS_ONLN), rounds);
  std::printf("%-34s %-9s %9s %9s %12s %12s  %s\n", "measure (ms)", "sandbox", "p50", "p99",
              "p50 / off", "p99 / off", "target (p50)");
  auto rows = [](const char* what, Samples* samples, const char* target) {
    double off50 = samples[0].P50(), off99 = samples[0].P99();
    for (int l = 0; l < kLevelCount; ++l) {
      std::printf("%-34s %-9s %9.3f %9.3f %11.2fx %11.2fx  %s\n", l == 0 ? what : "", kLevels[l],
                  samples[l].P50(), samples[l].P99(), samples[l].P50() / off50,
                  samples[l].P99() / off99, l == 2 ? target : "");
    }
  };
  rows("session start, warm (prefork 2)", warm_start, "strict <= 1.10x");
  rows("session start, cold (prefork 0)", cold_start, "strict <= 1.10x");
  rows("rerun round trip", rerun, "strict <= 1.05x");
  std::printf("\n%zu warm + %zu cold session starts and %zu reruns per level\n",
              warm_start[0].size(), cold_start[0].size(), rerun[0].size());
  std::printf("system calls the filter refused meanwhile: standard %s + %s, strict %s + %s\n",
              DeniedSyscalls(*warm[1]).c_str(), DeniedSyscalls(*cold[1]).c_str(),
              DeniedSyscalls(*warm[2]).c_str(), DeniedSyscalls(*cold[2]).c_str());
  return 0;
}

}  // namespace
}  // namespace sluice::bench

int main(int argc, char** argv) { return sluice::bench::Main(argc, argv); }
