// The workers' side of the arena: lock-free lookups in a read-only mapping.
// A hit copies the value into memory the caller provides; a lookup that
// raced with the keeper (the entry was replaced or evicted mid-copy) is a
// miss, never torn data. Safe from any number of threads and processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "shm_cache/layout.h"

namespace sluice::shm_cache {

struct ArenaCounters {
  std::uint64_t bytes_used;
  std::uint64_t entries;
  std::uint64_t inserts;
  std::uint64_t evictions;
};

class Reader {
 public:
  // Checks the header of a formatted arena mapped at `memory`.
  static absl::StatusOr<Reader> Attach(const std::byte* memory, std::size_t bytes);

  // Looks `key` up. On a hit, calls `allocate(size)` for `size` writable
  // bytes, copies the value there and returns true. On false the bytes given
  // by `allocate` (if it was called) hold nothing of use.
  bool Get(const Key& key, std::uint64_t now_ns,
           absl::FunctionRef<std::byte*(std::size_t)> allocate) const;

  // Whether `key` has a live entry now (no copy).
  bool Contains(const Key& key, std::uint64_t now_ns) const;

  // Where a value lives in the arena file, for callers that map it
  // themselves (MAP_PRIVATE gives copy semantics without a copy). Large
  // values start on a page boundary; values of at most kInlineBytes live in
  // the index and have no Location. Valid only while Unchanged() is true.
  struct Location {
    std::uint64_t file_offset;  // from the start of the arena file
    std::uint64_t size;
    const IndexSlot* slot;
    std::uint64_t version;
  };
  std::optional<Location> Locate(const Key& key, std::uint64_t now_ns) const;
  // True if the entry `location` names was neither replaced nor evicted
  // since Locate(); check after reading what was mapped.
  bool Unchanged(const Location& location) const;

  ArenaCounters counters() const;

 private:
  Reader(const ArenaHeader* header, const IndexSlot* index, const std::byte* data)
      : header_(header), index_(index), data_(data), mask_(header->slot_count - 1) {}

  enum class Attempt { kHit, kMiss, kRaced };
  // A slot holding `key`, with the fields read under its seqlock.
  struct Snapshot {
    const IndexSlot* slot;
    std::uint64_t version;
    std::uint64_t offset;
    std::uint64_t size;
    std::uint64_t generation;
  };
  Attempt Find(const Key& key, std::uint64_t now_ns, Snapshot* found) const;
  bool EntryMatches(const Key& key, const Snapshot& found) const;
  Attempt TryGet(const Key& key, std::uint64_t now_ns,
                 absl::FunctionRef<std::byte*(std::size_t)> allocate) const;

  const ArenaHeader* header_;
  const IndexSlot* index_;
  const std::byte* data_;
  std::uint32_t mask_;
};

// CLOCK_MONOTONIC now, the clock entries expire by.
std::uint64_t MonotonicNowNs();

}  // namespace sluice::shm_cache
