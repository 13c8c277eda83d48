// The keeper's side of the arena: the only code that writes it. Inserts,
// replaces and evicts entries (LRU under the byte budget, expired entries,
// a function's oldest beyond its max_entries) and keeps the allocator and
// the LRU order in the keeper's private memory, so nothing a worker could
// reach describes free space.
//
// Not thread-safe: the keeper is single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "shm_cache/layout.h"

namespace sluice::shm_cache {

inline constexpr std::size_t kDefaultBytesPerSlot = 16 * 1024;

struct EntryOptions {
  std::uint32_t function = 0;     // which cached function the entry belongs to
  std::uint64_t expires_ns = 0;   // CLOCK_MONOTONIC deadline; 0: never
  std::uint32_t max_entries = 0;  // most entries of `function`; 0: no limit
  std::uint16_t kind = 0;         // returned with every read; the arena does not interpret it
};

struct StoreStats {
  std::uint64_t bytes_used = 0;  // entry blocks, headers included
  std::uint64_t entries = 0;
  std::uint64_t inserts = 0;
  std::uint64_t evictions = 0;
};

// Where the index and the data go in an arena of `bytes`.
struct Geometry {
  std::uint32_t slot_count;
  std::uint64_t index_offset;
  std::uint64_t data_offset;
  std::uint64_t data_size;
};
absl::StatusOr<Geometry> GeometryFor(std::size_t bytes, std::size_t bytes_per_slot);

class Store {
 public:
  // Formats `memory` (the keeper's writable mapping, `bytes` long) as an
  // empty arena. Do this before any worker maps the arena.
  // `bytes_per_slot` sizes the index: one slot per that many arena bytes,
  // at most half of them in use; small values want a denser index.
  static absl::StatusOr<std::unique_ptr<Store>> Format(
      std::byte* memory, std::size_t bytes, std::size_t bytes_per_slot = kDefaultBytesPerSlot);

  // Publishes `value` under `key` (replacing any entry with that key), making
  // room as needed. ResourceExhausted if the value cannot fit even in an
  // empty cache, or beside the pinned values (then nothing is evicted). Readers see either the old
  // entry, none, or the new one.
  absl::Status Insert(const Key& key, std::span<const std::byte> value, const EntryOptions& options,
                      std::uint64_t now_ns);

  // A worker read `key`: keep it from being evicted soon.
  void Touch(const Key& key);

  // Pins: a worker that maps an entry's bytes MAP_PRIVATE (its own copy
  // without a memcpy) reads the arena file wherever it has not written, so
  // those bytes must stay as they are for as long as its mapping lives. A
  // pinned entry can still leave the index (evicted, replaced, cleared:
  // lookups miss it), but its bytes are not reused until its last pin is
  // released, and they count as used until then.
  //
  // Pins the value of `key` if it lies in the data region at
  // `value_offset` (from the data region start) and is `size` bytes long,
  // as a reader saw it. Returns false if the key has another entry now, none,
  // or an inline one. Pins nest: each Pin needs its own Unpin.
  bool Pin(const Key& key, std::uint64_t value_offset, std::uint64_t size);
  // Releases one pin on the value at `value_offset`. False if it had none.
  bool Unpin(std::uint64_t value_offset);
  // Bytes of entries that left the index but are still pinned.
  std::uint64_t pinned_leftover_bytes() const { return leftover_bytes_; }
  bool Erase(const Key& key);
  std::size_t EraseFunction(std::uint32_t function);
  void Clear();
  std::size_t EvictExpired(std::uint64_t now_ns);

  StoreStats stats() const;
  // Every byte of the data region is either free or in exactly one entry,
  // and every entry is where a reader's probe finds it. For tests.
  absl::Status CheckConsistency() const;

 private:
  struct Block {
    std::uint64_t start = 0;  // from the data region start
    std::uint64_t size = 0;
  };
  struct Live {
    Block block;
    std::uint32_t function = 0;
    std::uint64_t expires_ns = 0;
    std::list<std::uint32_t>::iterator lru;           // in lru_
    std::list<std::uint32_t>::iterator data_lru;      // in data_lru_, if block.size > 0
    std::list<std::uint32_t>::iterator function_lru;  // in by_function_[function]
  };

  Store(std::byte* memory, const Geometry& geometry);

  IndexSlot& slot(std::uint32_t i) const { return index_[i]; }
  std::uint32_t Home(const Key& key) const {
    return static_cast<std::uint32_t>(key.low) & (slot_count_ - 1);
  }
  std::optional<std::uint32_t> FindSlot(const Key& key) const;
  std::optional<std::uint32_t> FreeSlotFor(const Key& key);
  std::optional<Block> Allocate(std::uint64_t value_size, std::uint64_t* value_offset);
  // Whether a block for `value_size` bytes would fit once every entry that
  // is not pinned were evicted, i.e. in a gap between the pinned blocks.
  bool FitsBesidePins(std::uint64_t value_size) const;
  void Free(Block block);
  void EvictSlot(std::uint32_t i);
  void PublishStats();

  ArenaHeader* header_;
  IndexSlot* index_;
  std::byte* data_;
  std::uint64_t data_size_;
  std::uint32_t slot_count_;
  std::uint64_t next_generation_ = 1;

  std::map<std::uint64_t, std::uint64_t> free_;    // start -> size, coalesced
  absl::flat_hash_map<std::uint32_t, Live> live_;  // slot -> entry
  absl::flat_hash_map<std::uint32_t, std::list<std::uint32_t>> by_function_;
  std::list<std::uint32_t> lru_;  // most recently used first
  // Pinned values, by value offset. `left` once their entry left the index:
  // then the last Unpin frees the block.
  struct Pinned {
    Block block;
    std::uint32_t pins = 0;
    bool left = false;
  };
  absl::flat_hash_map<std::uint64_t, Pinned> pinned_;
  std::uint64_t leftover_bytes_ = 0;
  // The same order, only entries with bytes in the data region: what to
  // evict when a value needs room (an inline value frees none).
  std::list<std::uint32_t> data_lru_;
  StoreStats stats_;
};

}  // namespace sluice::shm_cache
