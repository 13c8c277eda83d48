// The workers' side of the arena: lock-free lookups in a read-only mapping.
// A hit copies the value into memory the caller provides; a lookup that
// raced with the keeper (the entry was replaced or evicted mid-copy) is a
// miss, never torn data. Safe from any number of threads and processes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "shm_cache/layout.h"

namespace sluice::shm_cache {

struct ArenaCounters {
  std::uint64_t bytes_used;
  std::uint64_t entries;
  std::uint64_t inserts;
  std::uint64_t evictions;
  std::uint64_t hits;
  std::uint64_t misses;
  std::uint64_t waits;
  std::uint64_t clears;
  std::uint64_t flights_overdue;
};

class Reader {
 public:
  // Checks the header of a formatted arena mapped at `memory`.
  static absl::StatusOr<Reader> Attach(const std::byte* memory, std::size_t bytes);

  // Looks `key` up. On a hit, calls `allocate(size)` for `size` writable
  // bytes, copies the value there and returns true. On false the bytes given
  // by `allocate` (if it was called) hold nothing of use. An entry whose
  // deadline is at or before `now_ns` is a miss.
  bool Get(const Key& key, std::uint64_t now_ns,
           absl::FunctionRef<std::byte*(std::size_t)> allocate) const;
  // The same at CLOCK_MONOTONIC now, read only if the entry has a deadline.
  bool Get(const Key& key, absl::FunctionRef<std::byte*(std::size_t)> allocate) const;

  // The fast path for small values, with no callback: on a hit, returns the
  // value's size and, if it fits, has copied the value to the front of
  // `out`. A size above out.size() means nothing was copied: look again
  // with Get() and an allocator. nullopt is a miss. Bytes of `out` past the
  // value (and all of them after a miss or an oversized hit) are
  // unspecified: a lookup may write up to kInlineBytes of `out` whatever the
  // value's size. With an `out` of at least kInlineBytes, a hit on an inline
  // value without a deadline in its key's home slot (most hits on small
  // values) runs inline in the caller and reads one slot and no clock.
  std::optional<std::size_t> GetInto(const Key& key, std::span<std::byte> out) const {
    std::size_t size;
    std::uint16_t kind;
    if (out.size() >= kInlineBytes && TryHome(key, kNoDeadlineChecked, out.data(), &size, &kind))
        [[likely]] {
      return size;
    }
    return GetIntoSlowly(key, out);
  }
  // The same as of `now_ns` instead of the clock.
  std::optional<std::size_t> GetInto(const Key& key, std::uint64_t now_ns,
                                     std::span<std::byte> out) const {
    std::size_t size;
    std::uint16_t kind;
    if (out.size() >= kInlineBytes && TryHome(key, now_ns, out.data(), &size, &kind)) [[likely]] {
      return size;
    }
    return GetIntoSlowly(key, now_ns, out);
  }

  // What Read() shows a value to: its bytes and the kind its publisher
  // tagged it with (EntryOptions::kind).
  using Visitor = absl::FunctionRef<bool(std::span<const std::byte> value, std::uint16_t kind)>;
  // Looks `key` up and lets `visit` read the value where it lies in the
  // arena, so a decoder can copy each part straight to where it belongs.
  // The bytes may change under `visit` if the keeper evicts the entry
  // meanwhile: `visit` must stay within the span it is given and treat what
  // it reads as untrusted; its result counts only if it returns true and the
  // entry was unchanged throughout. Returns true on such a hit. `visit` may
  // run more than once (the lookup is retried if it raced with the keeper).
  bool Read(const Key& key, std::uint64_t now_ns, Visitor visit) const;
  // The same at CLOCK_MONOTONIC now, read only if the entry has a deadline.
  bool Read(const Key& key, Visitor visit) const;

  // Whether `key` has a live entry now (no copy).
  bool Contains(const Key& key, std::uint64_t now_ns) const;

  // Where a value lives in the arena file, for callers that map it
  // themselves (MAP_PRIVATE gives copy semantics without a copy). Large
  // values start on a page boundary; values of at most kInlineBytes live in
  // the index and have no Location. Valid only while Unchanged() is true.
  struct Location {
    std::uint64_t file_offset;  // from the start of the arena file
    std::uint64_t size;
    std::uint16_t kind;  // EntryOptions::kind
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
  // Runs `attempt` until it hits or misses, at most kAttempts times (a
  // lookup that keeps racing the keeper is a miss). True on a hit.
  template <class TryOnce>
  static bool UntilSettled(TryOnce attempt);
  // The time deadlines are checked against: given, or CLOCK_MONOTONIC read
  // when the first entry with a deadline is found.
  class Now {
   public:
    static Now At(std::uint64_t ns) { return Now(ns, false); }
    static Now Lazily() { return Now(0, true); }
    std::uint64_t ns();
    std::uint64_t KnownOr(std::uint64_t unread) const { return lazy_ ? unread : ns_; }

   private:
    Now(std::uint64_t ns, bool lazy) : ns_(ns), lazy_(lazy) {}
    std::uint64_t ns_;
    bool lazy_;
  };
  // A slot holding `key`, with the fields read under its seqlock.
  struct Snapshot {
    const IndexSlot* slot;
    std::uint64_t version;
    std::uint64_t offset;
    std::uint64_t size;
    std::uint64_t generation;
    std::uint16_t kind;
  };
  Attempt Find(const Key& key, Now& now, Snapshot* found) const;
  bool EntryMatches(const Key& key, const Snapshot& found) const;
  // TryHome's `now_ns` when no clock was read: it leaves every entry with a
  // deadline to the general path.
  static constexpr std::uint64_t kNoDeadlineChecked = ~std::uint64_t{0};
  inline bool TryHome(const Key& key, std::uint64_t now_ns, std::byte* out, std::size_t* size,
                      std::uint16_t* kind) const;
  std::optional<std::size_t> GetIntoSlowly(const Key& key, std::span<std::byte> out) const;
  std::optional<std::size_t> GetIntoSlowly(const Key& key, std::uint64_t now_ns,
                                           std::span<std::byte> out) const;
  std::optional<std::size_t> GetInto(const Key& key, Now now, std::span<std::byte> out) const;
  bool Get(const Key& key, Now now, absl::FunctionRef<std::byte*(std::size_t)> allocate) const;
  bool Read(const Key& key, Now now, Visitor visit) const;
  Attempt TryRead(const Key& key, Now& now, Visitor visit) const;
  Attempt TryGet(const Key& key, Now& now,
                 absl::FunctionRef<std::byte*(std::size_t)> allocate) const;

  const ArenaHeader* header_;
  const IndexSlot* index_;
  const std::byte* data_;
  std::uint32_t mask_;
};

// CLOCK_MONOTONIC now, the clock entries expire by.
std::uint64_t MonotonicNowNs();

// Most hits on small values are on an inline value in the key's home slot
// (the store keeps the index at most half full). This reads that slot
// straight through under its seqlock (layout.h) -- copying the value to
// `out` (kInlineBytes writable bytes) before it knows the key matches,
// which is harmless as it stays within the slot -- and decides with one
// branch. It is inline and short because a lookup's cost is the slot's trip
// from memory, and the processor overlaps that with the caller's next
// lookups only while few instructions lie between them. True: a live hit,
// `*size` bytes in `out`. False: not decided here (a miss, another slot, a
// value in the data region, a deadline not checked, a race): take the
// general path. A deadline counts only if it is after `now_ns`. `*kind` is
// the entry's EntryOptions::kind.
inline bool Reader::TryHome(const Key& key, std::uint64_t now_ns, std::byte* out, std::size_t* size,
                            std::uint16_t* kind) const {
  const IndexSlot& slot = index_[static_cast<std::uint32_t>(key.low) & mask_];
  std::uint64_t version = slot.version.load(std::memory_order_acquire);
  std::uint64_t state = slot.state.load(std::memory_order_relaxed);
  std::uint64_t key_low = slot.key_low.load(std::memory_order_relaxed);
  std::uint64_t key_high = slot.key_high.load(std::memory_order_relaxed);
  std::uint64_t offset = slot.offset.load(std::memory_order_relaxed);
  std::uint64_t value_size = slot.size.load(std::memory_order_relaxed);
  std::uint64_t expires = slot.expires_ns.load(std::memory_order_relaxed);
  std::uint16_t value_kind = slot.kind.load(std::memory_order_relaxed);
  std::memcpy(out, slot.inline_value, kInlineBytes);
  std::atomic_thread_fence(std::memory_order_acquire);
  std::uint64_t version_after = slot.version.load(std::memory_order_relaxed);
  // Zero only if every field is as a live inline hit has it.
  std::uint64_t differs = (version & 1) | (version ^ version_after) | (state ^ kSlotFull) |
                          (key_low ^ key.low) | (key_high ^ key.high) | (offset ^ kInlineOffset);
  bool live = expires == 0 || (now_ns != kNoDeadlineChecked && expires > now_ns);
  *size = value_size;
  *kind = value_kind;
  return (differs == 0) & (value_size <= kInlineBytes) & live;
}

}  // namespace sluice::shm_cache
