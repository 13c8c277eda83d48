// The workers of the cache torture test (torture_test.cc). Each is a process
// forked from the test after the test prepared the cache runtime as the
// zygote does; it calls st::cache_data functions over a small key space and
// checks every value against its reference. Each says what it is doing on
// its line of a board in shared memory, which the test reads at any time,
// and after a kill to learn where the kill landed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "shm_cache/reader.h"

namespace sluice::testing::torture {

inline constexpr int kKeysPerKind = 24;
// A worker that got a wrong value says which on stderr and exits with this.
inline constexpr int kWrongValueExit = 86;

enum Kind : std::uint32_t {
  kSmall,   // a string of 0..48 bytes: its entry fits an index slot (<= 64 B)
  kMedium,  // up to ~32 KiB: published inside the message, stored in the data region
  kLarge,   // 40..560 KiB: published through a sealed memfd, page aligned in the arena
  kKinds,
};
const char* KindName(std::uint32_t kind);

enum Phase : std::uint32_t {
  kStarting,      // forked, not yet in its first call
  kIdle,          // between calls
  kInCall,        // in a cached call, before its function ran: lookup, claim, wait, copy
  kComputing,     // in the cached function's body
  kAfterCompute,  // the body returned: the runtime encodes and publishes
  kChecking,      // the call returned; comparing with the reference
  kClearing,      // clearing one key (a keeper round trip)
};

const char* PhaseName(std::uint32_t phase);

// One line per worker slot. Written only by the worker in it (and by the
// parent before forking one); the parent reads it any time and, after the
// worker died, reads what it last did.
struct alignas(64) Board {
  std::atomic<std::uint32_t> phase;
  std::atomic<std::uint32_t> kind;
  std::atomic<std::uint32_t> key;
  std::atomic<std::uint64_t> call_started_ns;  // CLOCK_MONOTONIC
  std::atomic<std::uint64_t> calls;            // completed and checked
  std::atomic<std::uint64_t> computes;         // times a cached function's body ran

  // By the parent, before it forks a worker onto this line.
  void Reset() {
    phase = kStarting;
    kind = 0;
    key = 0;
    call_started_ns = shm_cache::MonotonicNowNs();
    calls = 0;
    computes = 0;
  }
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// `count` boards in one shared anonymous mapping, unmapped exactly once.
class Boards {
 public:
  static absl::StatusOr<Boards> Create(int count);
  Boards(Boards&& other) noexcept;
  Boards& operator=(Boards&&) = delete;
  ~Boards();
  Board& operator[](int line) { return boards_[line]; }

 private:
  Boards(Board* boards, std::size_t bytes) : boards_(boards), bytes_(bytes) {}
  Board* boards_;
  std::size_t bytes_;
};

// Computes every reference value. Call once before forking workers, which
// inherit them.
void PrepareReferences();

// A worker's life: attaches `keeper_fd` (its end of a keeper socket) and
// makes random calls, each checked, until it is killed. A few keys are hot,
// so workers often miss the same key at the same time.
[[noreturn]] void WorkerLife(Board& board, int keeper_fd, std::uint64_t seed);

// The final check: calls every key (the small ones twice), checks each
// value, then makes a keeper round trip so that everything it published is
// in the arena; exits 0.
[[noreturn]] void ReadEverything(Board& board, int keeper_fd);

}  // namespace sluice::testing::torture
