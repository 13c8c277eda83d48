#include "bench/forked.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "bench/stats.h"
#include "shm_cache/reader.h"

namespace sluice::bench {

pid_t PlainFork() { return ::fork(); }

std::vector<double> InChild(const std::function<std::vector<double>()>& work, const Forker& fork) {
  constexpr std::size_t kMost = 16;
  int fds[2];
  if (::pipe(fds) != 0) std::abort();
  pid_t pid = fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    ::close(fds[0]);
    std::vector<double> result = work();
    result.resize(std::min(result.size(), kMost));
    ssize_t bytes = static_cast<ssize_t>(result.size() * sizeof(double));
    if (::write(fds[1], result.data(), static_cast<std::size_t>(bytes)) != bytes) _exit(1);
    _exit(0);
  }
  ::close(fds[1]);
  double buffer[kMost];
  ssize_t got = ::read(fds[0], buffer, sizeof(buffer));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (got <= 0 || got % sizeof(double) != 0) {
    std::fprintf(stderr, "a measured child died (wait status %d)\n", status);
    std::abort();
  }
  return std::vector<double>(buffer, buffer + got / sizeof(double));
}

double InChild(const std::function<double()>& work, const Forker& fork) {
  return InChild([&] { return std::vector<double>{work()}; }, fork)[0];
}

double Median(int runs, const std::function<double()>& work, const Forker& fork) {
  Samples samples;
  for (int i = 0; i < runs; ++i) samples.Add(InChild(work, fork));
  return samples.P50();
}

namespace {

// When one child's timed loop ran, by CLOCK_MONOTONIC (shared by every
// process, so the windows of concurrent children can be compared).
struct Window {
  std::uint64_t start_ns;
  std::uint64_t end_ns;
};

}  // namespace

double Concurrent(int processes, std::size_t lookups, bool warm, const std::function<void()>& loop,
                  const Forker& fork) {
  int ready[2], go[2], results[2];
  if (::pipe(ready) != 0 || ::pipe(go) != 0 || ::pipe(results) != 0) std::abort();
  std::vector<pid_t> pids;
  for (int p = 0; p < processes; ++p) {
    pid_t pid = fork();
    if (pid < 0) std::abort();
    if (pid == 0) {
      ::close(go[1]);
      if (warm) loop();
      char byte = 1;
      if (::write(ready[1], &byte, 1) != 1) _exit(1);
      if (::read(go[0], &byte, 1) != 0) _exit(1);  // EOF: the parent said go
      Window window;
      window.start_ns = shm_cache::MonotonicNowNs();
      loop();
      window.end_ns = shm_cache::MonotonicNowNs();
      if (::write(results[1], &window, sizeof(window)) != sizeof(window)) _exit(1);
      _exit(0);
    }
    pids.push_back(pid);
  }
  ::close(ready[1]);
  ::close(results[1]);
  ::close(go[0]);
  for (int p = 0; p < processes; ++p) {
    char byte;
    if (::read(ready[0], &byte, 1) != 1) std::abort();
  }
  ::close(go[1]);
  std::uint64_t first = ~std::uint64_t{0}, last = 0;
  for (int p = 0; p < processes; ++p) {
    Window window;
    if (::read(results[0], &window, sizeof(window)) != sizeof(window)) std::abort();
    first = std::min(first, window.start_ns);
    last = std::max(last, window.end_ns);
  }
  for (pid_t pid : pids) ::waitpid(pid, nullptr, 0);
  ::close(ready[0]);
  ::close(results[0]);
  return static_cast<double>(processes) * static_cast<double>(lookups) * 1e9 /
         static_cast<double>(last - first);
}

std::pair<double, double> Paired(int runs, const std::function<double(bool second)>& measure) {
  Samples first, second;
  for (int i = 0; i < runs; ++i) {
    first.Add(measure(false));
    second.Add(measure(true));
  }
  return {first.P50(), second.P50()};
}

}  // namespace sluice::bench
