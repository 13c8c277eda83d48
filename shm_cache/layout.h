// The shared-memory layout of the cache_data arena, and who writes what.
//
//   [ArenaHeader, one page][Index: slot_count x IndexSlot][data region]
//
// One process, the keeper, writes every byte of the arena. Workers map it
// read-only: a worker that crashes, is killed or runs hostile code can
// neither hold a lock nor change an entry. Readers never block the keeper:
// each IndexSlot is a seqlock, and a reader that raced with the keeper sees
// a changed `version` after its copy and treats the lookup as a miss.
//
// Memory ordering (all fields are std::atomic so that concurrent reads of a
// slot are well defined; the data region is plain bytes):
//   keeper, changing a slot:  version = odd (relaxed); fence(release);
//                             write fields; version = next even (release)
//   keeper, before reusing data bytes of an evicted entry: fence(release),
//                             so a reader that sees new bytes also sees the
//                             eviction's version change
//   reader:                   v1 = version (acquire), odd -> miss; read
//                             fields; copy bytes; fence(acquire);
//                             v2 = version (relaxed); v1 != v2 -> miss
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sluice::shm_cache {

inline constexpr std::uint64_t kArenaMagic = 0x31656863616373ull;  // "scache1"
inline constexpr std::uint32_t kLayoutVersion = 4;
inline constexpr std::size_t kPageSize = 4096;

// 128-bit key: XXH3-128 of (function identity, app build, arguments) with
// the deployment's secret seed (see key.h).
struct Key {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  bool operator==(const Key&) const = default;
};

// First page of the arena. Written once by the keeper before any worker
// maps the arena, except the counters, which the keeper updates as it goes
// (readers use them only for /metrics).
struct ArenaHeader {
  std::uint64_t magic;
  std::uint32_t layout_version;
  std::uint32_t slot_count;    // a power of two
  std::uint64_t index_offset;  // from the arena start
  std::uint64_t data_offset;   // from the arena start, page aligned
  std::uint64_t data_size;
  std::atomic<std::uint64_t> bytes_used;
  std::atomic<std::uint64_t> entries;
  std::atomic<std::uint64_t> inserts;
  std::atomic<std::uint64_t> evictions;
  // Counted by the keeper from what workers tell it: hits (reported in
  // touch batches), misses (claims), waits (claims that found another
  // worker computing the same key), clears, and owners that held a key past
  // --cache-wait-timeout (their flight was taken from them).
  std::atomic<std::uint64_t> hits;
  std::atomic<std::uint64_t> misses;
  std::atomic<std::uint64_t> waits;
  std::atomic<std::uint64_t> clears;
  std::atomic<std::uint64_t> flights_overdue;
};
static_assert(sizeof(ArenaHeader) <= kPageSize);

enum SlotState : std::uint16_t {
  kSlotEmpty = 0,      // never used: a probe for a key stops here
  kSlotFull = 1,       // holds an entry
  kSlotTombstone = 2,  // held one: a probe goes on past it
};

// Values this small live in their index slot instead of the data region, so
// a hit on one touches one pair of adjacent cache lines and nothing else.
inline constexpr std::size_t kInlineBytes = 64;
// IndexSlot::offset of an inline value.
inline constexpr std::uint64_t kInlineOffset = ~std::uint64_t{0};

// One index entry: 64 bytes of metadata, then room for an inline value; two
// adjacent cache lines. Written only by the keeper.
struct alignas(128) IndexSlot {
  std::atomic<std::uint64_t> version;  // seqlock; odd while being written
  std::atomic<std::uint64_t> key_low;
  std::atomic<std::uint64_t> key_high;
  std::atomic<std::uint64_t> offset;      // of the value in the data region, or kInlineOffset
  std::atomic<std::uint64_t> size;        // value bytes
  std::atomic<std::uint64_t> expires_ns;  // CLOCK_MONOTONIC deadline; 0: never
  std::atomic<std::uint16_t> state;       // SlotState
  std::atomic<std::uint16_t> kind;        // the publisher's tag for its bytes' layout (opaque here)
  std::atomic<std::uint32_t> function;    // which cached function (for max_entries, clear)
  std::atomic<std::uint64_t> generation;  // unique per insert; also in the entry header
  std::byte inline_value[kInlineBytes];   // the value, when offset == kInlineOffset
};
static_assert(sizeof(IndexSlot) == 128);

// Precedes every value in the data region, so a reader can check that the
// bytes it copied belong to the key it asked for.
struct alignas(16) EntryHeader {
  std::uint64_t key_low;
  std::uint64_t key_high;
  std::uint64_t generation;
  std::uint64_t size;
};

// Keys hash to slots by their low bits; probes are linear and bounded.
inline constexpr std::uint32_t kMaxProbe = 64;

}  // namespace sluice::shm_cache
