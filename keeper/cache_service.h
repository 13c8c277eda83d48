// What the keeper does with the workers' cache requests (ipc/keeper.capnp):
// single flight on misses, publishing values into the arena, hits, clears,
// expiry. It owns no sockets: replies go out through a callback, and a
// request that breaks the protocol comes back as an error so that the
// caller can drop that worker.
//
// Not thread-safe: the keeper is single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "ipc/keeper.capnp.h"
#include "ipc/packet.h"
#include "keeper/flights.h"
#include "shm_cache/reader.h"
#include "shm_cache/store.h"
#include "util/unique_fd.h"

namespace sluice::keeper {

// Most keys one worker may own or wait for at once. A worker runs one app
// thread, so a handful is normal; beyond this it is misbehaving.
inline constexpr std::size_t kMaxClaimsPerWorker = 256;
// Most pins one worker may hold at once, and most bytes: a worker cannot
// keep more than half the data region from being reused (a value that big
// can still be mapped: the seeds' 305 MiB frame in the default 1 GiB cache).
inline constexpr std::size_t kMaxPinsPerWorker = 64;
inline constexpr std::uint64_t kPinnedShareDivisor = 2;

enum class Verdict { kCompute, kReady, kPinned, kRefused };

class CacheService {
 public:
  // Sends CacheReply{claim_id, verdict} to `worker`. It must not call back
  // into the service; if the send fails, the caller drops the worker later
  // with WorkerGone().
  using ReplyFn = std::function<void(WorkerId worker, std::uint64_t claim_id, Verdict verdict)>;

  // `store` writes the arena whose header is `header`; `reader` reads the
  // same arena. All three must outlive the service. Without `pins_allowed`
  // (the keeper has no descriptor to send with a pin) every pin is refused.
  // A worker told to compute a key owns it for at most `owner_timeout_ns`
  // (--cache-wait-timeout; 0: for ever): then the key passes on as if it had
  // abandoned it, and its later publish is dropped.
  CacheService(shm_cache::Store& store, shm_cache::ArenaHeader& header,
               const shm_cache::Reader& reader, ReplyFn reply, bool pins_allowed = true,
               std::uint64_t owner_timeout_ns = 0);

  // Handles one request from `worker` (ipc/keeper.capnp says what each one
  // means and which are answered), with the descriptors its packet
  // carried (at most one, and only with a publish). InvalidArgument when the
  // request breaks the protocol: the caller should drop the worker.
  absl::Status Handle(WorkerId worker, ipc::CacheRequest::Reader request, std::vector<UniqueFd> fds,
                      std::uint64_t now_ns);
  // Decodes one packet `worker` sent (as ipc::ReceivePacket returned it;
  // not empty) with the keeper's reader limits, then Handle()s it. A packet
  // that does not decode is InvalidArgument too.
  absl::Status HandlePacket(WorkerId worker, ipc::Packet packet, std::uint64_t now_ns);

  // `worker` hung up or was dropped: it waits for nothing any more, each key
  // it was computing passes to that key's oldest waiter (told compute), and
  // its pins are released. `now_ns` as for Handle.
  void WorkerGone(WorkerId worker, std::uint64_t now_ns);

  // The operator's clear: removes every entry. Returns how many there were.
  std::uint64_t ClearAll();

  // Evicts entries whose ttl has passed, and ends the flights whose owner
  // held them past the owner timeout.
  void Expire(std::uint64_t now_ns);

  const Flights& flights() const { return flights_; }

 private:
  absl::Status Claim(WorkerId worker, ipc::CacheRequest::Claim::Reader claim, std::uint64_t now_ns);
  absl::Status Publish(WorkerId worker, ipc::CacheRequest::Publish::Reader publish,
                       std::vector<UniqueFd> fds, std::uint64_t now_ns);
  absl::Status Abandon(WorkerId worker, const shm_cache::Key& key, std::uint64_t now_ns);
  void Touch(capnp::List<ipc::CacheKey>::Reader keys);
  void Pin(WorkerId worker, ipc::CacheRequest::Pin::Reader pin);
  absl::Status Unpin(WorkerId worker, std::uint64_t file_offset);
  void Clear(WorkerId worker, ipc::CacheRequest::Clear::Reader clear);
  void EndOverdue(const Flights::Overdue& overdue);
  void Insert(const shm_cache::Key& key, std::span<const std::byte> value,
              const shm_cache::EntryOptions& options, std::uint64_t now_ns);

  shm_cache::Store& store_;
  shm_cache::ArenaHeader& header_;
  const shm_cache::Reader& reader_;
  ReplyFn reply_;
  bool pins_allowed_;
  Flights flights_;
  absl::flat_hash_set<std::uint32_t> warned_too_large_;  // function ids
  struct PinHeld {
    std::uint64_t value_offset;  // from the data region start (Store::Pin)
    std::uint64_t size;
  };
  absl::flat_hash_map<WorkerId, std::vector<PinHeld>> pins_;
};

}  // namespace sluice::keeper
