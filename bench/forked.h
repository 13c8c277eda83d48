// Measurements taken in freshly forked processes, for the cache benchmark:
// a worker's first use of memory costs page faults that a long-lived
// process has paid already, so each large-value figure comes from a new
// child, and throughput is measured over several children at once.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

namespace sluice::bench {

// How a measured child is made: plain fork(), or RealCache::ForkWorker()
// (a child with its own keeper socket). Returns what fork() returns.
using Forker = std::function<pid_t()>;
pid_t PlainFork();

// Runs `work` in a child made by `fork` and returns the doubles it returns
// (at most 16). Aborts the bench if the child dies without answering.
std::vector<double> InChild(const std::function<std::vector<double>()>& work,
                            const Forker& fork = PlainFork);
// The same for one double.
double InChild(const std::function<double()>& work, const Forker& fork = PlainFork);

// Median of `runs` InChild measurements.
double Median(int runs, const std::function<double()>& work, const Forker& fork = PlainFork);

// Runs `loop` (`lookups` operations) in `processes` children at once and
// returns their total operations per second: lookups over the span from the
// first child's start to the last one's end. With `warm`, each child first
// runs the loop once untimed (faulting its pages in, as a long-lived worker
// already has), then all start together; without, each times its first pass
// after fork.
double Concurrent(int processes, std::size_t lookups, bool warm, const std::function<void()>& loop,
                  const Forker& fork = PlainFork);

// Medians of `runs` measurements of two things taken in turn (ABAB...), so
// that the machine's noise falls on both alike.
std::pair<double, double> Paired(int runs, const std::function<double(bool second)>& measure);

}  // namespace sluice::bench
