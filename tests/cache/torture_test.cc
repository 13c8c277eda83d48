// st::cache_data under fire. Worker processes run the real cache runtime
// (forked from a parent that prepared it as the zygote does, each with its
// own keeper socket) against the real keeper and a small arena that evicts
// all the time, calling cached functions over a small key space: hits,
// misses, several workers missing one key at once, inline values and values
// of hundreds of KiB. The parent SIGKILLs them at random points -- while
// computing a key others wait for, while waiting, while publishing, mid-copy
// -- and replaces them, until it has killed enough. Every value a call
// returns is compared with its reference; no worker may hang; afterwards a
// fresh worker reads every key back right, the keeper still answers, the
// arena's index and bytes add up, and once cleared the whole arena can be
// filled again (no byte leaked).
//
// SLUICE_TORTURE_KILLS sets how many kills (default 1000; the ctest label
// `slow` runs a long variant). The seed is printed; SLUICE_TORTURE_SEED
// repeats a run's random choices (not its timing).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "runtime/cache_runtime.h"
#include "shm_cache/arena.h"
#include "shm_cache/audit.h"
#include "shm_cache/layout.h"
#include "shm_cache/reader.h"
#include "tests/cache/torture_worker.h"
#include "tests/keeper/keeper_process.h"
#include "tests/shm_cache/forked_child.h"
#include "tests/support/child_process.h"
#include "tests/support/deadline.h"
#include "tests/support/process_probe.h"
#include "tests/support/status_macros.h"
#include "util/unique_fd.h"

namespace sluice::testing::torture {
namespace {

using namespace std::chrono_literals;
using shm_cache::ArenaAudit;
using shm_cache::AuditArena;
using shm_cache::Key;

// Small, so that the values (several MiB together, torture_worker.cc) evict each other
// all the time.
constexpr std::size_t kArenaBytes = 4u << 20;
constexpr int kWorkers = 5;
constexpr int kDefaultKills = 1000;
// A worker whose call makes no progress this long is hung; no worker
// completing any call this long is a deadlock.
constexpr auto kStall = 20s;
// A call this old (normal ones take a few ms) is no longer killed, so that a
// worker stuck in it stays for the watchdog to see instead of being cleared
// away by a kill. Sparing a merely slow call costs nothing.
constexpr auto kSuspect = 50ms;
// How often the parent looks at the board when nothing else wakes it.
constexpr auto kTick = 200us;

// ---- The parent side ------------------------------------------------------------

absl::Status Errno(std::string_view what) {
  return absl::InternalError(absl::StrCat(std::string(what), ": ", std::strerror(errno)));
}

using sluice::shm_cache::testing::ForkedChild;

// Forks a child that runs `body`, which never returns.
template <class Body>
absl::StatusOr<std::unique_ptr<ForkedChild>> StartChild(Body body) {
  absl::StatusOr<ForkedChild> child = ForkedChild::Start([body] {
    body();
    return 124;
  });
  if (!child.ok()) return child.status();
  return std::make_unique<ForkedChild>(*std::move(child));
}

// The scheduler state of a process ("R" running, "S" sleeping, ...), read
// from /proc before a kill to tell a worker blocked on the keeper from one
// that is copying.
char SchedulerState(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  std::size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() ? line[close + 2] : '?';
}

// A /proc file of `pid` without its final newline, for a failure message.
std::string ProcLine(pid_t pid, std::string_view name) {
  std::string text = ReadProcFile(pid, name);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// How a worker is to be killed; chosen at random for each.
enum class Plan {
  kAnyMoment,   // after a random delay, wherever it is then
  kComputing,   // soon after it starts computing (often with others waiting on it)
  kWaiting,     // once a call has gone on long enough that it must be blocked
  kPublishing,  // as soon as its function returned, while the runtime publishes
};

struct Worker {
  std::unique_ptr<ForkedChild> process;
  Plan plan;
  Clock::time_point kill_at;  // kAnyMoment; the others once armed
  bool armed = false;
  Clock::time_point give_up_at;  // a targeted plan that never came about
};

// AuditArena once the keeper is quiet: with every worker gone it has nothing
// left to do, but the last packets of the dead may still be in its queue.
absl::StatusOr<ArenaAudit> AuditWhenQuiet(const std::byte* memory, std::size_t bytes) {
  Deadline deadline = After(kStepTimeout);
  for (;;) {
    absl::StatusOr<ArenaAudit> audit = AuditArena(memory, bytes);
    if (!absl::IsAborted(audit.status()) || Clock::now() > deadline) return audit;
  }
}

class Torture {
 public:
  Torture(KeeperProcess& keeper, Boards& boards, std::uint64_t seed)
      : keeper_(keeper), boards_(boards), rng_(seed) {}

  ~Torture() {
    // Reap every worker before the keeper goes (the destructor order in the
    // test keeps the keeper longer).
    for (auto& worker : workers_) worker.reset();
  }

  // Kills and replaces workers until `kills_wanted` kills, then kills the
  // rest. An error: a worker got a wrong value, crashed, or hung.
  absl::Status Run(int kills_wanted) {
    last_progress_ = Clock::now();
    while (kills_ < kills_wanted) {
      for (int slot = 0; slot < kWorkers; ++slot) {
        if (!workers_[slot]) {
          if (absl::Status started = Spawn(slot); !started.ok()) return started;
        }
      }
      if (absl::Status waited = WaitForSomething(); !waited.ok()) return waited;
      if (absl::Status fine = CheckProgress(); !fine.ok()) return fine;
      Clock::time_point now = Clock::now();
      for (int slot = 0; slot < kWorkers && kills_ < kills_wanted; ++slot) {
        if (workers_[slot] && ShouldKill(slot, now)) {
          if (absl::Status killed = Kill(slot); !killed.ok()) return killed;
        }
      }
    }
    for (int slot = 0; slot < kWorkers; ++slot) {
      if (!workers_[slot]) continue;
      if (absl::Status killed = Kill(slot); !killed.ok()) return killed;
    }
    return absl::OkStatus();
  }

  // A fresh worker calls every key once and checks it. A call that never
  // returns means a flight the keeper never ended or passed on.
  absl::Status ReadEverythingBack() {
    constexpr int kSlot = kWorkers;
    Board& board = boards_[kSlot];
    board.Reset();
    absl::StatusOr<TestWorker> socket = keeper_.Attach();
    if (!socket.ok()) return socket.status();
    UniqueFd keeper_end = socket->Release();
    int fd = keeper_end.get();
    absl::StatusOr<std::unique_ptr<ForkedChild>> reader =
        StartChild([&board, fd] { ReadEverything(board, fd); });
    if (!reader.ok()) return reader.status();
    keeper_end.reset();
    absl::StatusOr<int> status = (*reader)->Wait(After(kStall));
    if (!status.ok()) {
      return absl::DeadlineExceededError(
          absl::StrCat("the final reader hung ", PhaseName(board.phase.load()), " on ",
                       KindName(board.kind.load()), " key ", board.key.load(), " (",
                       DescribeProcess((*reader)->pid()), ")\n", KeeperLogTail()));
    }
    final_calls_ = board.calls.load();
    final_computes_ = board.computes.load();
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      return absl::DataLossError(absl::StrCat("the final reader ", DescribeWaitStatus(*status),
                                              " on ", KindName(board.kind.load()), " key ",
                                              board.key.load()));
    }
    return absl::OkStatus();
  }

  void PrintKills(std::ostream& out, double seconds) const {
    out << "[ torture  ] " << kills_ << " kills in " << seconds
        << " s; the workers killed had made " << calls_ << " checked calls and computed "
        << computes_ << " times\n";
    out << "[ torture  ] where the kills landed:\n";
    for (const auto& [where, count] : sites_) {
      out << "[ torture  ]   " << std::setw(6) << count << "  " << where << "\n";
    }
    out << std::flush;
  }
  std::uint64_t final_calls() const { return final_calls_; }
  std::uint64_t final_computes() const { return final_computes_; }

  int kills() const { return kills_; }
  int KillsAt(const std::string& where) const {
    auto it = sites_.find(where);
    return it == sites_.end() ? 0 : it->second;
  }

  static constexpr char kWaiterSite[] = "waiting on another worker's compute (single flight)";
  static constexpr char kOwnerSite[] = "computing a key others wait for";
  static constexpr char kPublishSite[] = "publishing";
  static constexpr char kCopySite[] = "looking up or copying (running)";

 private:
  absl::Status Spawn(int slot) {
    Board& board = boards_[slot];
    board.Reset();
    absl::StatusOr<TestWorker> socket = keeper_.Attach();
    if (!socket.ok()) return socket.status();
    UniqueFd keeper_end = socket->Release();
    int fd = keeper_end.get();
    std::uint64_t seed = rng_();
    absl::StatusOr<std::unique_ptr<ForkedChild>> process =
        StartChild([&board, fd, seed] { WorkerLife(board, fd, seed); });
    if (!process.ok()) return process.status();
    keeper_end.reset();  // the worker's now: its death must hang up on the keeper

    Worker worker;
    worker.process = *std::move(process);
    Clock::time_point now = Clock::now();
    std::uint64_t pick = rng_() % 100;
    worker.plan = pick < 40   ? Plan::kAnyMoment
                  : pick < 60 ? Plan::kComputing
                  : pick < 80 ? Plan::kWaiting
                              : Plan::kPublishing;
    // Log-uniform from 50 us to 50 ms: some die starting up, most mid-work.
    double exponent =
        std::uniform_real_distribution<double>(std::log(50.0), std::log(50'000.0))(rng_);
    worker.kill_at = now + std::chrono::microseconds(static_cast<long>(std::exp(exponent)));
    worker.give_up_at = now + 100ms;
    workers_[slot] = std::move(worker);
    return absl::OkStatus();
  }

  // Until a worker exits, or the next kill is due, or a tick passed.
  absl::Status WaitForSomething() {
    Clock::time_point until = Clock::now() + kTick;
    std::vector<pollfd> fds;
    for (auto& worker : workers_) {
      if (!worker) continue;
      fds.push_back({worker->process->pidfd(), POLLIN, 0});
      if (worker->plan == Plan::kAnyMoment || worker->armed)
        until = std::min(until, worker->kill_at);
    }
    auto left = std::max(until - Clock::now(), Clock::duration::zero());
    timespec timeout{0, std::chrono::duration_cast<std::chrono::nanoseconds>(left).count()};
    int n = ::ppoll(fds.data(), fds.size(), &timeout, nullptr);
    if (n < 0 && errno != EINTR) return Errno("ppoll");
    if (n <= 0) return absl::OkStatus();
    // A worker exited without being killed: it found a wrong value, or crashed.
    for (int slot = 0; slot < kWorkers; ++slot) {
      if (!workers_[slot]) continue;
      pollfd ended{workers_[slot]->process->pidfd(), POLLIN, 0};
      if (::poll(&ended, 1, 0) <= 0) continue;
      Board& board = boards_[slot];
      absl::StatusOr<int> status = workers_[slot]->process->Wait(After(kStepTimeout));
      std::string how = status.ok() ? DescribeWaitStatus(*status) : status.status().ToString();
      return absl::DataLossError(
          absl::StrCat("worker ", workers_[slot]->process->pid(), " ", how,
                       " without being killed, ", PhaseName(board.phase.load()), " on ",
                       KindName(board.kind.load()), " key ", board.key.load(), " (exit code ",
                       kWrongValueExit, ": a wrong value; see its line on stderr)"));
    }
    return absl::OkStatus();
  }

  std::uint64_t NsSince(std::uint64_t then_ns) const {
    std::uint64_t now = shm_cache::MonotonicNowNs();
    return now > then_ns ? now - then_ns : 0;
  }

  bool InCall(std::uint32_t phase) const { return phase != kIdle && phase != kChecking; }

  // A worker stuck in one call, or nobody completing calls at all, is a
  // hang: fail with what each worker is doing.
  absl::Status CheckProgress() {
    std::uint64_t calls = calls_;
    for (int slot = 0; slot < kWorkers; ++slot) {
      if (workers_[slot]) calls += boards_[slot].calls;
    }
    Clock::time_point now = Clock::now();
    if (calls != seen_calls_) {
      seen_calls_ = calls;
      last_progress_ = now;
    }
    std::string stuck;
    for (int slot = 0; slot < kWorkers; ++slot) {
      if (!workers_[slot]) continue;
      Board& board = boards_[slot];
      if (InCall(board.phase.load()) && NsSince(board.call_started_ns.load()) > ToNs(kStall)) {
        stuck = absl::StrCat("worker ", workers_[slot]->process->pid(), " has been ",
                             PhaseName(board.phase.load()), " for ",
                             NsSince(board.call_started_ns.load()) / 1e9, " s");
        break;
      }
    }
    if (stuck.empty() && now - last_progress_ > kStall) {
      stuck = absl::StrCat("no worker completed a call in ",
                           std::chrono::duration<double>(now - last_progress_).count(), " s");
    }
    if (stuck.empty()) return absl::OkStatus();
    return absl::DeadlineExceededError(absl::StrCat("DEADLOCK after ", kills_, " kills: ", stuck,
                                                    "\n", DescribeWorkers(), KeeperLogTail()));
  }

  static std::uint64_t ToNs(Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }

  // Another worker computes or publishes (kind, key): it probably owns it.
  bool SomeoneElseComputes(int slot, std::uint32_t kind, std::uint32_t key) const {
    for (int other = 0; other < kWorkers; ++other) {
      if (other == slot || !workers_[other]) continue;
      const Board& board = boards_[other];
      std::uint32_t phase = board.phase.load();
      if ((phase == kComputing || phase == kAfterCompute) && board.kind.load() == kind &&
          board.key.load() == key) {
        return true;
      }
    }
    return false;
  }

  bool SomeoneElseWaits(int slot, std::uint32_t kind, std::uint32_t key) const {
    for (int other = 0; other < kWorkers; ++other) {
      if (other == slot || !workers_[other]) continue;
      const Board& board = boards_[other];
      if (board.phase.load() == kInCall && board.kind.load() == kind && board.key.load() == key)
        return true;
    }
    return false;
  }

  bool ShouldKill(int slot, Clock::time_point now) {
    Worker& worker = *workers_[slot];
    Board& board = boards_[slot];
    std::uint32_t phase = board.phase.load();
    // Maybe hung: leave it for CheckProgress to judge, not to a kill to hide.
    if (phase != kStarting && InCall(phase) &&
        NsSince(board.call_started_ns.load()) > ToNs(kSuspect)) {
      return false;
    }
    if (worker.armed) return now >= worker.kill_at;
    switch (worker.plan) {
      case Plan::kAnyMoment:
        return now >= worker.kill_at;
      case Plan::kComputing:
        if (phase == kComputing) {
          // Somewhere in the (up to 2 ms) compute.
          worker.armed = true;
          worker.kill_at = now + std::chrono::microseconds(rng_() % 1500);
          return now >= worker.kill_at;
        }
        break;
      case Plan::kWaiting:
        // A hit or a claim's round trip takes well under this.
        if (phase == kInCall && NsSince(board.call_started_ns.load()) > 300'000) return true;
        break;
      case Plan::kPublishing:
        if (phase == kAfterCompute) return true;
        break;
    }
    return now >= worker.give_up_at;
  }

  // SIGKILLs the worker in `slot`, reaps it, and notes where it was.
  absl::Status Kill(int slot) {
    Worker& worker = *workers_[slot];
    Board& board = boards_[slot];
    pid_t pid = worker.process->pid();
    char state = SchedulerState(pid);
    bool peer_computes = SomeoneElseComputes(slot, board.kind.load(), board.key.load());
    bool peer_waits = SomeoneElseWaits(slot, board.kind.load(), board.key.load());
    if (::kill(pid, SIGKILL) != 0) return Errno("kill");
    absl::StatusOr<int> status = worker.process->Wait(After(kStepTimeout));
    if (!status.ok()) return status.status();
    if (!WIFSIGNALED(*status) || WTERMSIG(*status) != SIGKILL) {
      return absl::DataLossError(
          absl::StrCat("worker ", pid, " ", DescribeWaitStatus(*status), " before it was killed, ",
                       PhaseName(board.phase.load()), " on ", KindName(board.kind.load()), " key ",
                       board.key.load()));
    }
    // Dead: what the board says now is the last thing it did.
    std::uint32_t phase = board.phase.load();
    std::string where;
    switch (phase) {
      case kInCall:
        if (state == 'R') {
          where = kCopySite;
        } else if (peer_computes) {
          where = kWaiterSite;
        } else {
          where = "waiting for the keeper's reply (or blocked in a copy)";
        }
        break;
      case kComputing:
        where = peer_waits ? kOwnerSite : "computing (nobody waiting)";
        break;
      case kAfterCompute:
        where = kPublishSite;
        break;
      default:
        where = PhaseName(phase);
        break;
    }
    ++sites_[where];
    ++kills_;
    calls_ += board.calls.load();
    computes_ += board.computes.load();
    workers_[slot].reset();
    return absl::OkStatus();
  }

  std::string DescribeProcess(pid_t pid) const {
    return absl::StrCat("pid ", pid, ", state ", std::string(1, SchedulerState(pid)), ", wchan ",
                        ProcLine(pid, "wchan"), ", syscall ", ProcLine(pid, "syscall"));
  }

  std::string DescribeWorkers() const {
    std::string text;
    for (int slot = 0; slot < kWorkers; ++slot) {
      if (!workers_[slot]) continue;
      const Board& board = boards_[slot];
      absl::StrAppend(&text, "  worker ", DescribeProcess(workers_[slot]->process->pid()), ": ",
                      PhaseName(board.phase.load()), " on ", KindName(board.kind.load()), " key ",
                      board.key.load(), " for ", NsSince(board.call_started_ns.load()) / 1e6,
                      " ms, ", board.calls.load(), " calls done\n");
    }
    return text;
  }

  std::string KeeperLogTail() const {
    std::string log = keeper_.Log();
    if (log.size() > 8192) log = "...\n" + log.substr(log.size() - 8192);
    return absl::StrCat("keeper (", DescribeProcess(keeper_.pid()), ") log:\n", log);
  }

  KeeperProcess& keeper_;
  Boards& boards_;
  std::mt19937_64 rng_;
  std::array<std::optional<Worker>, kWorkers> workers_;
  int kills_ = 0;
  std::uint64_t calls_ = 0;     // by workers since killed
  std::uint64_t computes_ = 0;  // by workers since killed
  std::uint64_t final_calls_ = 0;
  std::uint64_t final_computes_ = 0;
  std::uint64_t seen_calls_ = 0;
  Clock::time_point last_progress_;
  std::map<std::string, int> sites_;
};

// The keeper's warnings and errors, "event (why: ...)" -> how many.
std::map<std::string, int> KeeperWarnings(const std::string& log) {
  auto field = [](std::string_view line, std::string_view name) {
    std::string key = absl::StrCat("\"", std::string(name), "\":\"");
    std::size_t at = line.find(key);
    if (at == std::string_view::npos) return std::string();
    at += key.size();
    return std::string(line.substr(at, line.find('"', at) - at));
  };
  std::map<std::string, int> warnings;
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = std::min(log.find('\n', start), log.size());
    std::string_view line(log.data() + start, end - start);
    start = end + 1;
    std::string level = field(line, "level");
    if (level != "warning" && level != "error") continue;
    std::string why = field(line, "why");
    if (why.empty()) why = field(line, "error");
    ++warnings[absl::StrCat(field(line, "event"), " (why: ", why, ")")];
  }
  return warnings;
}

int KillsWanted() {
  const char* text = std::getenv("SLUICE_TORTURE_KILLS");
  return text != nullptr && std::atoi(text) > 0 ? std::atoi(text) : kDefaultKills;
}

std::uint64_t Seed() {
  if (const char* text = std::getenv("SLUICE_TORTURE_SEED")) return std::strtoull(text, nullptr, 0);
  return (std::uint64_t{std::random_device()()} << 32) | std::random_device()();
}

TEST(CacheTortureTest, WorkersKilledAnywhereInHitsAndMissesLeaveTheCacheWhole) {
  const int kills_wanted = KillsWanted();
  const std::uint64_t seed = Seed();
  std::cout << "[ torture  ] seed " << seed << " (SLUICE_TORTURE_SEED=" << seed
            << " repeats its choices), " << kills_wanted << " kills wanted" << std::endl;
  RecordProperty("seed", std::to_string(seed));

  PrepareReferences();

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KeeperProcess> keeper, KeeperProcess::Start(kArenaBytes));
  // What the zygote does: map the sealed arena read-only and prepare the
  // runtime once; every worker forked after inherits both.
  ASSERT_OK_AND_ASSIGN(shm_cache::Mapping arena,
                       shm_cache::Mapping::ReadOnly(keeper->arena_fd(), kArenaBytes));
  ASSERT_OK(sluice::runtime::PrepareCacheInZygote({arena.data(), kArenaBytes, "/proc/self/exe"}));
  ASSERT_OK_AND_ASSIGN(Boards boards, Boards::Create(kWorkers + 1));

  Clock::time_point start = Clock::now();
  auto torture = std::make_unique<Torture>(*keeper, boards, seed);
  absl::Status survived = torture->Run(kills_wanted);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  torture->PrintKills(std::cout, seconds);
  ASSERT_OK(survived);
  EXPECT_GE(torture->kills(), kills_wanted);

  // Every key reads back right (and nobody is left waiting on a dead owner).
  ASSERT_OK(torture->ReadEverythingBack());
  std::cout << "[ torture  ] the final reader checked " << torture->final_calls() << " calls, "
            << torture->final_computes() << " of them recomputed" << std::endl;

  // The keeper lived through it all, and answers.
  ASSERT_TRUE(ProcessAlive(keeper->pid())) << keeper->Log();
  ASSERT_OK_AND_ASSIGN(TestWorker probe, keeper->Attach());
  ASSERT_OK(probe.Sync());

  shm_cache::ArenaCounters counters = keeper->counters();
  std::cout << "[ torture  ] arena: " << counters.entries << " entries, " << counters.bytes_used
            << " bytes used; " << counters.inserts << " inserts, " << counters.evictions
            << " evictions, " << counters.misses << " claims, " << counters.waits
            << " single-flight waits, " << counters.hits << " hits reported" << std::endl;

  // The arena's bytes are accounted for.
  ASSERT_OK_AND_ASSIGN(ArenaAudit audit, AuditWhenQuiet(arena.data(), kArenaBytes));
  counters = keeper->counters();
  std::cout << "[ torture  ] audit: " << audit.entries << " entries (" << audit.inline_entries
            << " inline, " << audit.large_entries << " large), blocks of " << audit.min_bytes_used
            << ".." << audit.max_bytes_used << " bytes" << std::endl;
  EXPECT_EQ(counters.entries, audit.entries);
  EXPECT_GE(counters.bytes_used, audit.min_bytes_used);
  EXPECT_LE(counters.bytes_used, audit.max_bytes_used);

  // The run did what it says: it evicted, workers waited on each other, and
  // kills landed in each part of a call (a run of a few kills may miss some).
  EXPECT_GT(counters.evictions, 0u);
  if (kills_wanted >= kDefaultKills / 2) {
    EXPECT_GT(counters.waits, 0u);
    EXPECT_GT(torture->KillsAt(Torture::kOwnerSite), 0);
    EXPECT_GT(torture->KillsAt(Torture::kWaiterSite), 0);
    EXPECT_GT(torture->KillsAt(Torture::kPublishSite), 0);
    EXPECT_GT(torture->KillsAt(Torture::kCopySite), 0);
  }

  // Workers on the real runtime never break the protocol, so the keeper has
  // nothing to warn about (a worker that dies with a reply unread is a
  // plain hang-up: ipc::ReceivePacket reads past the kernel's ECONNRESET).
  std::map<std::string, int> warnings = KeeperWarnings(keeper->Log());
  for (const auto& [warning, count] : warnings) {
    ADD_FAILURE() << "the keeper warned " << count << " times: " << warning;
  }

  // Nothing is lost: once cleared, the arena is empty and one value as
  // large as the data region allows fits -- only if every freed byte came
  // back and joined up again.
  torture.reset();
  ASSERT_OK(keeper->Clear(1).status());
  counters = keeper->counters();
  EXPECT_EQ(counters.entries, 0u);
  EXPECT_EQ(counters.bytes_used, 0u);
  ASSERT_OK_AND_ASSIGN(audit, AuditWhenQuiet(arena.data(), kArenaBytes));
  EXPECT_EQ(audit.entries, 0u);
  const auto& header = *reinterpret_cast<const shm_cache::ArenaHeader*>(arena.data());
  const std::size_t whole = header.data_size - shm_cache::kPageSize - 64;
  const Key big_key{0xb16, 0xb16};
  ASSERT_OK(probe.Claim(1, big_key));
  ASSERT_OK_AND_ASSIGN(CacheReplyInfo reply, probe.Next());
  ASSERT_TRUE(reply.compute);
  std::vector<std::byte> big = Pattern(whole, 77);
  ASSERT_OK_AND_ASSIGN(UniqueFd memfd,
                       ValueMemfd(big, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
  ASSERT_OK(probe.PublishFd(big_key, big.size(), memfd.get()));
  ASSERT_OK(probe.Sync());
  EXPECT_EQ(keeper->Get(big_key), big) << "a value filling the arena did not fit after the clear";
  EXPECT_EQ(keeper->counters().bytes_used, header.data_size - 64);
  ASSERT_OK_AND_ASSIGN(audit, AuditWhenQuiet(arena.data(), kArenaBytes));
  EXPECT_EQ(audit.entries, 1u);
}

}  // namespace
}  // namespace sluice::testing::torture
