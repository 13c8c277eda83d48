#include "shm_cache/reader.h"

#include <time.h>

#include <atomic>
#include <cstring>

#include "util/strings.h"

namespace sluice::shm_cache {

namespace {
constexpr int kAttempts = 3;  // a lookup that races this often is a miss
}

template <class TryOnce>
bool Reader::UntilSettled(TryOnce attempt) {
  for (int i = 0; i < kAttempts; ++i) {
    switch (attempt()) {
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

std::uint64_t Reader::Now::ns() {
  if (lazy_) {
    ns_ = MonotonicNowNs();
    lazy_ = false;
  }
  return ns_;
}

bool Reader::Get(const Key& key, std::uint64_t now_ns,
                 absl::FunctionRef<std::byte*(std::size_t)> allocate) const {
  return Get(key, Now::At(now_ns), allocate);
}

bool Reader::Get(const Key& key, absl::FunctionRef<std::byte*(std::size_t)> allocate) const {
  return Get(key, Now::Lazily(), allocate);
}

bool Reader::Get(const Key& key, Now now,
                 absl::FunctionRef<std::byte*(std::size_t)> allocate) const {
  std::byte buffer[kInlineBytes];
  std::size_t size;
  std::uint16_t kind;
  if (TryHome(key, now.KnownOr(kNoDeadlineChecked), buffer, &size, &kind)) {
    std::byte* out = allocate(size);
    if (size != 0) std::memcpy(out, buffer, size);
    return true;
  }
  return UntilSettled([&] { return TryGet(key, now, allocate); });
}

std::optional<std::size_t> Reader::GetIntoSlowly(const Key& key, std::span<std::byte> out) const {
  return GetInto(key, Now::Lazily(), out);
}

std::optional<std::size_t> Reader::GetIntoSlowly(const Key& key, std::uint64_t now_ns,
                                                 std::span<std::byte> out) const {
  return GetInto(key, Now::At(now_ns), out);
}

// The general path: any slot of the probe, values in the data region,
// deadlines, and retries after a race.
std::optional<std::size_t> Reader::GetInto(const Key& key, Now now,
                                           std::span<std::byte> out) const {
  std::size_t size;
  // A null destination makes TryGet check the entry without copying it.
  auto into_out = [&](std::size_t n) {
    size = n;
    return n <= out.size() ? out.data() : nullptr;
  };
  if (!UntilSettled([&] { return TryGet(key, now, into_out); })) return std::nullopt;
  return size;
}

Reader::Attempt Reader::Find(const Key& key, Now& now, Snapshot* found) const {
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
    *found = {&slot,
              version,
              slot.offset.load(std::memory_order_relaxed),
              slot.size.load(std::memory_order_relaxed),
              slot.generation.load(std::memory_order_relaxed),
              slot.kind.load(std::memory_order_relaxed)};
    std::uint64_t expires = slot.expires_ns.load(std::memory_order_relaxed);
    // Fields read mid-write can be anything: check before touching memory.
    if (found->offset == kInlineOffset) {
      if (found->size > kInlineBytes) return Attempt::kRaced;
    } else if (found->offset < sizeof(EntryHeader) || found->offset > header_->data_size ||
               found->size > header_->data_size - found->offset) {
      return Attempt::kRaced;
    }
    if (expires != 0 && expires <= now.ns()) return Attempt::kMiss;
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

Reader::Attempt Reader::TryGet(const Key& key, Now& now,
                               absl::FunctionRef<std::byte*(std::size_t)> allocate) const {
  Snapshot found;
  if (Attempt attempt = Find(key, now, &found); attempt != Attempt::kHit) return attempt;
  std::byte* out = allocate(found.size);
  // An empty value's buffer may be null (std::vector::data()), which memcpy
  // must not get even for 0 bytes.
  const std::byte* from =
      found.offset == kInlineOffset ? found.slot->inline_value : data_ + found.offset;
  if (found.size != 0 && out != nullptr) std::memcpy(out, from, found.size);
  bool matches = EntryMatches(key, found);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (found.slot->version.load(std::memory_order_relaxed) != found.version) return Attempt::kRaced;
  return matches ? Attempt::kHit : Attempt::kMiss;
}

bool Reader::Read(const Key& key, std::uint64_t now_ns, Visitor visit) const {
  return Read(key, Now::At(now_ns), visit);
}

bool Reader::Read(const Key& key, Visitor visit) const { return Read(key, Now::Lazily(), visit); }

bool Reader::Read(const Key& key, Now now, Visitor visit) const {
  // A small value is visited in a private, already checked copy.
  std::byte buffer[kInlineBytes];
  std::size_t size;
  std::uint16_t kind;
  if (TryHome(key, now.KnownOr(kNoDeadlineChecked), buffer, &size, &kind)) {
    return visit(std::span<const std::byte>(buffer, size), kind);
  }
  return UntilSettled([&] { return TryRead(key, now, visit); });
}

Reader::Attempt Reader::TryRead(const Key& key, Now& now, Visitor visit) const {
  Snapshot found;
  if (Attempt attempt = Find(key, now, &found); attempt != Attempt::kHit) return attempt;
  const std::byte* from =
      found.offset == kInlineOffset ? found.slot->inline_value : data_ + found.offset;
  bool accepted = visit(std::span<const std::byte>(from, found.size), found.kind);
  bool matches = EntryMatches(key, found);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (found.slot->version.load(std::memory_order_relaxed) != found.version) return Attempt::kRaced;
  return matches && accepted ? Attempt::kHit : Attempt::kMiss;
}

bool Reader::Contains(const Key& key, std::uint64_t now_ns) const {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    Snapshot found;
    Now now = Now::At(now_ns);
    Attempt result = Find(key, now, &found);
    if (result != Attempt::kRaced) return result == Attempt::kHit;
  }
  return false;
}

std::optional<Reader::Location> Reader::Locate(const Key& key, std::uint64_t now_ns) const {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    Snapshot found;
    Now now = Now::At(now_ns);
    Attempt result = Find(key, now, &found);
    if (result == Attempt::kMiss) return std::nullopt;
    if (result == Attempt::kRaced) continue;
    bool matches = EntryMatches(key, found);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (found.slot->version.load(std::memory_order_relaxed) != found.version) continue;
    if (!matches) return std::nullopt;
    if (found.offset == kInlineOffset) return std::nullopt;  // small: Get() it
    return Location{header_->data_offset + found.offset, found.size, found.kind, found.slot,
                    found.version};
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
          header_->evictions.load(std::memory_order_relaxed),
          header_->hits.load(std::memory_order_relaxed),
          header_->misses.load(std::memory_order_relaxed),
          header_->waits.load(std::memory_order_relaxed),
          header_->clears.load(std::memory_order_relaxed),
          header_->flights_overdue.load(std::memory_order_relaxed)};
}

}  // namespace sluice::shm_cache
