// A worker's side of its keeper socket (ipc/keeper.capnp): claim a missed
// key, publish or abandon it, report hits, ask for clears. One per worker;
// single-threaded.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "ipc/keeper.capnp.h"
#include "shm_cache/layout.h"
#include "util/unique_fd.h"

namespace sluice::runtime {

class KeeperClient {
 public:
  using Deadline = std::chrono::steady_clock::time_point;
  // Blocks until `fd` is readable (true) or `deadline` passes (false). It
  // may throw (a rerun is due); see each caller for what happens then.
  using WaitFn = absl::FunctionRef<bool(int fd, Deadline deadline)>;

  // `wait_timeout` (--cache-wait-timeout; zero: none) bounds how long
  // ClaimKey waits for another worker's compute.
  KeeperClient(UniqueFd socket, std::chrono::milliseconds wait_timeout)
      : socket_(std::move(socket)), wait_timeout_(wait_timeout) {}

  // False once the keeper is gone (or misbehaved): stop asking it.
  bool alive() const { return socket_.valid(); }

  enum class Claim {
    kCompute,   // this worker owns the key: compute, then Publish or Abandon
    kReady,     // look again; on a miss compute without publishing
    kTimedOut,  // another worker held the key for the whole wait timeout:
                // compute without publishing (the claim is withdrawn)
    kLost,      // no keeper: compute without publishing
  };
  // Asks to compute `key`, blocking until the keeper answers or the wait
  // timeout passes. If `wait` throws (a rerun is due) the claim is abandoned
  // so that no other worker waits on this one.
  Claim ClaimKey(const shm_cache::Key& key, std::uint32_t function, WaitFn wait);

  struct PublishOptions {
    std::uint32_t function;
    std::uint64_t ttl_ms;
    std::uint32_t max_entries;
    std::uint16_t kind;  // the entry's layout (runtime/cache_entry.h)
  };
  // Hands the keeper the `size` bytes `fill` writes: inline when small, in a
  // sealed memfd otherwise. Failures are logged; the caller keeps its value.
  void Publish(const shm_cache::Key& key, const PublishOptions& options, std::size_t size,
               absl::FunctionRef<void(std::span<std::byte>)> fill);
  void Abandon(const shm_cache::Key& key);

  // Asks the keeper to keep the value of `key` that a lookup found at
  // `file_offset` (`size` bytes) in place while this worker maps it. Returns
  // the arena's read-only descriptor to map it with if the keeper agreed;
  // invalid if it refused (the entry changed; too many pins) or is gone:
  // copy instead. `wait` as for ClaimKey; if it throws, a pin granted
  // meanwhile is released when its reply comes.
  UniqueFd Pin(const shm_cache::Key& key, std::uint64_t file_offset, std::uint64_t size,
               WaitFn wait);
  // Releases a pin Pin() returned a descriptor for.
  void Unpin(std::uint64_t file_offset);

  // Records a hit. The keeper hears of hits in reports (FlushTouches, at the
  // end of each run, or every kHitsPerReport hits): their number, and each
  // key hit at most once, up to kTouchBatch keys, to refresh in its LRU. So a
  // run with many hits costs the keeper a few messages, not one per hit.
  void Touch(const shm_cache::Key& key);
  void FlushTouches();

  // Clears (all when both are null) and waits for the keeper to confirm, so a
  // lookup right after misses.
  void Clear(const std::uint32_t* function, const shm_cache::Key* key, WaitFn wait);

 private:
  static constexpr std::size_t kTouchBatch = 256;
  static constexpr std::uint64_t kHitsPerReport = 4096;
  // Values up to this size travel inside the message.
  static constexpr std::size_t kInlineValueBytes = 32 * 1024;

  bool Send(capnp::MessageBuilder& message, int fd = -1);
  enum class Awaited { kReplied, kTimedOut, kLost };
  // Reads replies until the one for `id` (kLost: the keeper is gone). `fd`,
  // if given, gets the descriptor the reply carried.
  Awaited AwaitReply(std::uint64_t id, WaitFn wait, Deadline deadline,
                     ipc::CacheReply::Which* which, UniqueFd* fd = nullptr);
  // A reply to a request nobody waits for any more.
  void OnStaleReply(std::uint64_t id, bool pinned);
  void Lost(const char* why);

  UniqueFd socket_;
  std::chrono::milliseconds wait_timeout_;
  std::uint64_t next_id_ = 1;
  struct KeyHash {
    std::size_t operator()(const shm_cache::Key& key) const { return key.low; }
  };
  absl::flat_hash_set<shm_cache::Key, KeyHash> touches_;
  // Pins whose wait was interrupted, by request id: the file offset to
  // unpin if the keeper's answer turns out to be pinned.
  absl::flat_hash_map<std::uint64_t, std::uint64_t> abandoned_pins_;
  std::uint64_t hits_ = 0;
};

}  // namespace sluice::runtime
