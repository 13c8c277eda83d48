// Single flight for cache_data: while one worker computes the value of a
// key, other workers that miss the same key wait for it instead of
// computing it too. The table only records who owns and who waits; the
// keeper tells them (CacheReply) what the table decides.
//
// An owner holds a key for at most `owner_timeout_ns` (--cache-wait-timeout):
// a worker that claims and never publishes (hung, or hostile) must not make
// the others wait for ever. Past that the keeper ends its ownership
// (EndOverdue) as if it had abandoned the key. Times are CLOCK_MONOTONIC
// nanoseconds passed in by the caller.
//
// Not thread-safe: the keeper is single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "shm_cache/layout.h"

namespace sluice::keeper {

// A worker's connection to the keeper; never reused while the keeper runs.
using WorkerId = std::uint64_t;

// A claim that is answered later: who made it and the id to echo.
struct Waiter {
  WorkerId worker;
  std::uint64_t claim_id;
  bool operator==(const Waiter&) const = default;
};

struct KeyHash {
  std::size_t operator()(const shm_cache::Key& key) const {
    return absl::Hash<std::pair<std::uint64_t, std::uint64_t>>()({key.low, key.high});
  }
};

class Flights {
 public:
  // `owner_timeout_ns` 0: an owner may hold a key for ever.
  explicit Flights(std::uint64_t owner_timeout_ns = 0) : owner_timeout_ns_(owner_timeout_ns) {}

  enum class Claimed { kOwner, kWaiting };

  // `worker` missed `key` at `now_ns`. The first claimant owns the key (and
  // so does anyone claiming it again while owning it); later ones wait.
  Claimed Claim(const shm_cache::Key& key, Waiter claim, std::uint64_t now_ns);

  bool IsOwner(const shm_cache::Key& key, WorkerId worker) const;

  // The owner published: the flight ends. Returns its waiters, oldest first.
  std::vector<Waiter> Finish(const shm_cache::Key& key);

  // `worker` gives the key up. If it owns the key, the oldest waiter becomes
  // the owner and is returned (tell it to compute); with no waiter the
  // flight ends. If it waits for the key, it stops waiting.
  std::optional<Waiter> Abandon(const shm_cache::Key& key, WorkerId worker, std::uint64_t now_ns);

  // `worker` is gone: it stops waiting anywhere, and every key it owned
  // passes to that key's oldest waiter. Returns those new owners.
  std::vector<Waiter> Forget(WorkerId worker, std::uint64_t now_ns);

  // An owner that held its key past the timeout, and who takes over.
  struct Overdue {
    shm_cache::Key key;
    WorkerId owner;              // no longer owns the key: its publish is refused
    std::optional<Waiter> next;  // the new owner (tell it to compute); none: the flight ended
  };
  // Ends the ownership of `key` if its owner has held it for the timeout or
  // longer at `now_ns`, as Abandon by the owner would.
  std::optional<Overdue> EndIfOverdue(const shm_cache::Key& key, std::uint64_t now_ns);
  // The same for every key.
  std::vector<Overdue> EndOverdue(std::uint64_t now_ns);

  // How many keys `worker` owns or waits for (each waiting claim counted).
  std::size_t ClaimsOf(WorkerId worker) const;
  std::size_t size() const { return flights_.size(); }

 private:
  struct Flight {
    WorkerId owner;
    std::uint64_t owned_since_ns;  // when `owner` got the key
    std::deque<Waiter> waiters;    // oldest first
  };
  struct WorkerClaims {
    std::vector<shm_cache::Key> owned;    // few per worker: linear search is fine
    std::vector<shm_cache::Key> waiting;  // one entry per waiting claim
  };

  bool IsOverdue(const Flight& flight, std::uint64_t now_ns) const;
  // The owner gives `key` up; returns the waiter that takes over, if any.
  std::optional<Waiter> EndOwnership(const shm_cache::Key& key, Flight& flight,
                                     std::uint64_t now_ns);
  void Promote(const shm_cache::Key& key, Flight& flight, std::uint64_t now_ns,
               std::vector<Waiter>* promoted);
  void RemoveClaim(std::vector<shm_cache::Key>& keys, const shm_cache::Key& key);
  void Unindex(WorkerId worker);

  std::uint64_t owner_timeout_ns_;
  absl::flat_hash_map<shm_cache::Key, Flight, KeyHash> flights_;
  absl::flat_hash_map<WorkerId, WorkerClaims> by_worker_;
};

}  // namespace sluice::keeper
