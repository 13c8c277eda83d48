// What the broker does to its own process state before it starts anything,
// so that a service runs the same whether started by systemd, a shell or a
// supervisor that left it odd descriptors and limits.
#pragma once

namespace sluice::broker {

// Makes sure descriptors 0, 1 and 2 are open (on /dev/null when they were
// closed). Otherwise the first socket or file the broker opens would take a
// free number among them, and log lines written to "stderr" would go into
// that socket (a page, the zygote's control channel). Call first, before
// anything opens a descriptor. Safe to call more than once.
void EnsureStandardDescriptors();

// Raises the soft RLIMIT_NOFILE to the hard limit (logged), and warns when
// even the hard limit cannot hold `workers` sessions and `prefork` warm
// workers: each live session (or warm worker)
// holds two descriptors in the broker (its page and its worker), three in
// its zygote's reaper (the worker's output and denial pipes) and, with the
// cache on, one in the keeper. Call before the keeper and the zygote
// are started: they inherit the limit.
void RaiseOpenFileLimit(int workers, int prefork);

}  // namespace sluice::broker
