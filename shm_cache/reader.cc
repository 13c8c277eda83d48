#include "shm_cache/reader.h"

#include <time.h>

#include <atomic>
#include <cstring>

#include "util/strings.h"

namespace sluice::shm_cache {

namespace {
constexpr int kAttempts = 3;  // a lookup that races this often is a miss
}

std::uint64_t MonotonicNowNs() {
  timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(now.tv_nsec);
}

absl::StatusOr<Reader> Reader::Attach(const std::byte* memory, std::size_t bytes) {
  const auto* header = reinterpret_cast<const ArenaHeader*>(memory);
  if (bytes < kPageSize || header->magic != kArenaMagic ||
      header->layout_version != kLayoutVersion) {
    return absl::FailedPreconditionError("the cache arena is not formatted (or another version)");
  }
  std::uint64_t slots = header->slot_count;
  if (slots == 0 || (slots & (slots - 1)) != 0 ||
      header->index_offset + slots * sizeof(IndexSlot) > header->data_offset ||
      header->data_offset + header->data_size > bytes) {
    return absl::FailedPreconditionError("the cache arena's header is inconsistent");
  }
  return Reader(header, reinterpret_cast<const IndexSlot*>(memory + header->index_offset),
                memory + header->data_offset);
}

bool Reader::Get(const Key& key, std::uint64_t now_ns,
                 absl::FunctionRef<std::byte*(std::size_t)> allocate) const {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    switch (TryGet(key, now_ns, allocate)) {
      case Attempt::kHit:
        return true;
      case Attempt::kMiss:
        return false;
      case Attempt::kRaced:
        continue;
    }
  }
  return false;
}

Reader::Attempt Reader::Find(const Key& key, std::uint64_t now_ns, Snapshot* found) const {
  std::uint32_t home = static_cast<std::uint32_t>(key.low) & mask_;
  for (std::uint32_t probe = 0; probe < kMaxProbe; ++probe) {
    const IndexSlot& slot = index_[(home + probe) & mask_];
    std::uint64_t version = slot.version.load(std::memory_order_acquire);
    if (version & 1) return Attempt::kRaced;
    std::uint32_t state = slot.state.load(std::memory_order_relaxed);
    if (state == kSlotEmpty) return Attempt::kMiss;
    if (state != kSlotFull || slot.key_low.load(std::memory_order_relaxed) != key.low ||
        slot.key_high.load(std::memory_order_relaxed) != key.high) {
      continue;
    }
    *found = {&slot, version, slot.offset.load(std::memory_order_relaxed),
              slot.size.load(std::memory_order_relaxed),
              slot.generation.load(std::memory_order_relaxed)};
    std::uint64_t expires = slot.expires_ns.load(std::memory_order_relaxed);
    // Fields read mid-write can be anything: check before touching memory.
    if (found->offset == kInlineOffset) {
      if (found->size > kInlineBytes) return Attempt::kRaced;
    } else if (found->offset < sizeof(EntryHeader) || found->offset > header_->data_size ||
               found->size > header_->data_size - found->offset) {
      return Attempt::kRaced;
    }
    if (expires != 0 && expires <= now_ns) return Attempt::kMiss;
    return Attempt::kHit;
  }
  return Attempt::kMiss;
}

// The entry header agrees with the slot, so the bytes are the key's (keys
// cannot be steered to another entry). Call after the seqlock check.
bool Reader::EntryMatches(const Key& key, const Snapshot& found) const {
  // An inline value has no header: its key is in the same seqlocked slot.
  if (found.offset == kInlineOffset) return true;
  EntryHeader entry;
  std::memcpy(&entry, data_ + found.offset - sizeof(EntryHeader), sizeof(entry));
  return entry.key_low == key.low && entry.key_high == key.high &&
         entry.generation == found.generation && entry.size == found.size;
}

Reader::Attempt Reader::TryGet(const Key& key, std::uint64_t now_ns,
                               absl::FunctionRef<std::byte*(std::size_t)> allocate) const {
  Snapshot found;
  if (Attempt attempt = Find(key, now_ns, &found); attempt != Attempt::kHit) return attempt;
  std::byte* out = allocate(found.size);
  // An empty value's buffer may be null (std::vector::data()), which memcpy
  // must not get even for 0 bytes.
  const std::byte* from =
      found.offset == kInlineOffset ? found.slot->inline_value : data_ + found.offset;
  if (found.size != 0) std::memcpy(out, from, found.size);
  bool matches = EntryMatches(key, found);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (found.slot->version.load(std::memory_order_relaxed) != found.version) return Attempt::kRaced;
  return matches ? Attempt::kHit : Attempt::kMiss;
}

bool Reader::Contains(const Key& key, std::uint64_t now_ns) const {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    Snapshot found;
    Attempt result = Find(key, now_ns, &found);
    if (result != Attempt::kRaced) return result == Attempt::kHit;
  }
  return false;
}

std::optional<Reader::Location> Reader::Locate(const Key& key, std::uint64_t now_ns) const {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    Snapshot found;
    Attempt result = Find(key, now_ns, &found);
    if (result == Attempt::kMiss) return std::nullopt;
    if (result == Attempt::kRaced) continue;
    bool matches = EntryMatches(key, found);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (found.slot->version.load(std::memory_order_relaxed) != found.version) continue;
    if (!matches) return std::nullopt;
    if (found.offset == kInlineOffset) return std::nullopt;  // small: Get() it
    return Location{header_->data_offset + found.offset, found.size, found.slot, found.version};
  }
  return std::nullopt;
}

bool Reader::Unchanged(const Location& location) const {
  std::atomic_thread_fence(std::memory_order_acquire);
  return location.slot->version.load(std::memory_order_relaxed) == location.version;
}

ArenaCounters Reader::counters() const {
  return {header_->bytes_used.load(std::memory_order_relaxed),
          header_->entries.load(std::memory_order_relaxed),
          header_->inserts.load(std::memory_order_relaxed),
          header_->evictions.load(std::memory_order_relaxed)};
}

}  // namespace sluice::shm_cache
