#include "shm_cache/store.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>

#include "util/strings.h"

namespace sluice::shm_cache {

namespace {

constexpr std::uint64_t kMinArenaBytes = 1u << 20;
constexpr std::uint32_t kMinSlots = 1024;
constexpr std::uint32_t kMaxSlots = 1u << 22;
constexpr std::uint64_t kSmallAlign = 64;
constexpr std::uint64_t kLargeAlign = kPageSize;  // lets a large value be mapped on its own
constexpr std::uint64_t kLargeValue = 64 * 1024;

std::uint64_t AlignUp(std::uint64_t value, std::uint64_t align) {
  return (value + align - 1) & ~(align - 1);
}

// The seqlock's write side (see layout.h).
class SlotWrite {
 public:
  explicit SlotWrite(IndexSlot& slot)
      : slot_(slot), version_(slot.version.load(std::memory_order_relaxed)) {
    slot_.version.store(version_ + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
  }
  ~SlotWrite() { slot_.version.store(version_ + 2, std::memory_order_release); }

 private:
  IndexSlot& slot_;
  std::uint64_t version_;
};

}  // namespace

absl::StatusOr<Geometry> GeometryFor(std::size_t bytes, std::size_t bytes_per_slot) {
  if (bytes < kMinArenaBytes) {
    return absl::InvalidArgumentError(
        StrCat("a cache arena needs at least ", kMinArenaBytes, " bytes, not ", bytes));
  }
  Geometry geometry;
  std::uint64_t wanted = std::bit_ceil(
      std::max<std::uint64_t>(bytes / std::max<std::size_t>(bytes_per_slot, 64), kMinSlots));
  geometry.slot_count = static_cast<std::uint32_t>(std::min<std::uint64_t>(wanted, kMaxSlots));
  geometry.index_offset = kPageSize;
  geometry.data_offset = AlignUp(
      geometry.index_offset + std::uint64_t{geometry.slot_count} * sizeof(IndexSlot), kPageSize);
  if (geometry.data_offset >= bytes) return absl::InvalidArgumentError("arena too small");
  geometry.data_size = bytes - geometry.data_offset;
  return geometry;
}

Store::Store(std::byte* memory, const Geometry& geometry) {
  header_ = new (memory) ArenaHeader{};
  header_->magic = kArenaMagic;
  header_->layout_version = kLayoutVersion;
  header_->slot_count = geometry.slot_count;
  header_->index_offset = geometry.index_offset;
  header_->data_offset = geometry.data_offset;
  header_->data_size = geometry.data_size;
  index_ = reinterpret_cast<IndexSlot*>(memory + geometry.index_offset);
  for (std::uint32_t i = 0; i < geometry.slot_count; ++i) new (&index_[i]) IndexSlot{};
  data_ = memory + geometry.data_offset;
  data_size_ = geometry.data_size;
  slot_count_ = geometry.slot_count;
  free_[0] = data_size_;
}

absl::StatusOr<std::unique_ptr<Store>> Store::Format(std::byte* memory, std::size_t bytes,
                                                     std::size_t bytes_per_slot) {
  absl::StatusOr<Geometry> geometry = GeometryFor(bytes, bytes_per_slot);
  if (!geometry.ok()) return geometry.status();
  return std::unique_ptr<Store>(new Store(memory, *geometry));
}

std::optional<std::uint32_t> Store::FindSlot(const Key& key) const {
  std::uint32_t home = Home(key);
  for (std::uint32_t probe = 0; probe < kMaxProbe; ++probe) {
    std::uint32_t i = (home + probe) & (slot_count_ - 1);
    const IndexSlot& s = slot(i);
    std::uint32_t state = s.state.load(std::memory_order_relaxed);
    if (state == kSlotEmpty) return std::nullopt;
    if (state == kSlotFull && s.key_low.load(std::memory_order_relaxed) == key.low &&
        s.key_high.load(std::memory_order_relaxed) == key.high) {
      return i;
    }
  }
  return std::nullopt;
}

std::optional<std::uint32_t> Store::FreeSlotFor(const Key& key) {
  std::uint32_t home = Home(key);
  std::optional<std::uint32_t> least_used;
  for (std::uint32_t probe = 0; probe < kMaxProbe; ++probe) {
    std::uint32_t i = (home + probe) & (slot_count_ - 1);
    if (slot(i).state.load(std::memory_order_relaxed) != kSlotFull) return i;
    least_used = i;
  }
  // The whole probe window is full: evict the least recently used of it.
  for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
    std::uint32_t distance = (*it - home) & (slot_count_ - 1);
    if (distance < kMaxProbe) {
      least_used = *it;
      break;
    }
  }
  EvictSlot(*least_used);
  return least_used;
}

namespace {

// Where a block for `value_size` bytes would lie in the free range
// [start, end): its value's offset and the block's end. False if it does not fit.
bool FitIn(std::uint64_t start, std::uint64_t end, std::uint64_t value_size,
           std::uint64_t* value_at, std::uint64_t* block_end) {
  std::uint64_t align = value_size >= kLargeValue ? kLargeAlign : kSmallAlign;
  *value_at = AlignUp(start + sizeof(EntryHeader), align);
  *block_end = AlignUp(*value_at + value_size, kSmallAlign);
  return *block_end <= end;
}

}  // namespace

std::optional<Store::Block> Store::Allocate(std::uint64_t value_size, std::uint64_t* value_offset) {
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    std::uint64_t start = it->first;
    std::uint64_t end = it->first + it->second;
    std::uint64_t value_at;
    std::uint64_t block_end;
    if (!FitIn(start, end, value_size, &value_at, &block_end)) continue;
    free_.erase(it);
    if (block_end < end) free_[block_end] = end - block_end;
    *value_offset = value_at;
    return Block{start, block_end - start};
  }
  return std::nullopt;
}

bool Store::FitsBesidePins(std::uint64_t value_size) const {
  std::vector<Block> pinned;
  pinned.reserve(pinned_.size());
  for (const auto& [offset, one] : pinned_) pinned.push_back(one.block);
  std::sort(pinned.begin(), pinned.end(),
            [](const Block& a, const Block& b) { return a.start < b.start; });
  std::uint64_t gap_start = 0;
  std::uint64_t value_at;
  std::uint64_t block_end;
  for (const Block& block : pinned) {
    if (FitIn(gap_start, block.start, value_size, &value_at, &block_end)) return true;
    gap_start = block.start + block.size;
  }
  return FitIn(gap_start, data_size_, value_size, &value_at, &block_end);
}

void Store::Free(Block block) {
  auto next = free_.lower_bound(block.start);
  if (next != free_.end() && next->first == block.start + block.size) {
    block.size += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto previous = std::prev(next);
    if (previous->first + previous->second == block.start) {
      previous->second += block.size;
      return;
    }
  }
  free_[block.start] = block.size;
}

void Store::EvictSlot(std::uint32_t i) {
  auto it = live_.find(i);
  if (it == live_.end()) return;
  Live live = it->second;
  live_.erase(it);
  {
    SlotWrite write(slot(i));
    // A tombstone keeps probes going past this slot, unless the next slot is
    // empty: then no probe needs to, and the slot can be empty too.
    bool next_empty =
        slot((i + 1) & (slot_count_ - 1)).state.load(std::memory_order_relaxed) == kSlotEmpty;
    slot(i).state.store(next_empty ? kSlotEmpty : kSlotTombstone, std::memory_order_relaxed);
    slot(i).generation.store(0, std::memory_order_relaxed);
  }
  if (live.block.size > 0) {
    data_lru_.erase(live.data_lru);
    // The slot's offset still names the value: eviction changes its state only.
    std::uint64_t value_offset = slot(i).offset.load(std::memory_order_relaxed);
    if (auto pinned = pinned_.find(value_offset); pinned != pinned_.end()) {
      // Mapped by a worker: the bytes stay until the last Unpin.
      pinned->second.left = true;
      leftover_bytes_ += live.block.size;
    } else {
      Free(live.block);
      stats_.bytes_used -= live.block.size;
    }
  }
  lru_.erase(live.lru);
  auto& function_list = by_function_[live.function];
  function_list.erase(live.function_lru);
  if (function_list.empty()) by_function_.erase(live.function);
  --stats_.entries;
  ++stats_.evictions;
  PublishStats();
}

absl::Status Store::Insert(const Key& key, std::span<const std::byte> value,
                           const EntryOptions& options, std::uint64_t now_ns) {
  std::uint64_t worst_case = AlignUp(sizeof(EntryHeader), kLargeAlign) + value.size() + kSmallAlign;
  if (worst_case > data_size_) {
    return absl::ResourceExhaustedError(StrCat(
        "a value of ", value.size(), " bytes does not fit in a cache of ", data_size_, " bytes"));
  }
  bool in_slot = value.size() <= kInlineBytes;
  // Evicting everything would still leave the pinned blocks where they are:
  // if no gap between them can hold the value, evict nothing for it.
  if (!in_slot && !pinned_.empty() && !FitsBesidePins(value.size())) {
    return absl::ResourceExhaustedError(
        StrCat("a value of ", value.size(), " bytes does not fit beside the ", pinned_.size(),
               " pinned values in a cache of ", data_size_, " bytes"));
  }
  if (auto existing = FindSlot(key)) EvictSlot(*existing);
  if (options.max_entries > 0) {
    auto it = by_function_.find(options.function);
    while (it != by_function_.end() && it->second.size() >= options.max_entries) {
      EvictSlot(it->second.back());  // that function's least recently used
      it = by_function_.find(options.function);
    }
  }
  std::uint64_t value_offset = kInlineOffset;
  std::optional<Block> block = Block{};  // an inline value takes no data bytes
  if (!in_slot) {
    block = Allocate(value.size(), &value_offset);
    if (!block && EvictExpired(now_ns) > 0) block = Allocate(value.size(), &value_offset);
    while (!block && !data_lru_.empty()) {
      EvictSlot(data_lru_.back());
      block = Allocate(value.size(), &value_offset);
    }
    if (!block) return absl::ResourceExhaustedError("the cache is too fragmented for this value");
  }
  std::optional<std::uint32_t> index = FreeSlotFor(key);

  std::uint64_t generation = next_generation_++;
  if (!in_slot) {
    // The bytes may have belonged to an entry a reader is still copying:
    // make the eviction visible before they change (layout.h).
    std::atomic_thread_fence(std::memory_order_release);
    EntryHeader entry{key.low, key.high, generation, value.size()};
    std::memcpy(data_ + value_offset - sizeof(EntryHeader), &entry, sizeof(entry));
    if (!value.empty()) std::memcpy(data_ + value_offset, value.data(), value.size());
  }
  {
    IndexSlot& s = slot(*index);
    SlotWrite write(s);
    if (in_slot && !value.empty()) std::memcpy(s.inline_value, value.data(), value.size());
    s.key_low.store(key.low, std::memory_order_relaxed);
    s.key_high.store(key.high, std::memory_order_relaxed);
    s.offset.store(value_offset, std::memory_order_relaxed);
    s.size.store(value.size(), std::memory_order_relaxed);
    s.expires_ns.store(options.expires_ns, std::memory_order_relaxed);
    s.function.store(options.function, std::memory_order_relaxed);
    s.generation.store(generation, std::memory_order_relaxed);
    s.kind.store(options.kind, std::memory_order_relaxed);
    s.state.store(kSlotFull, std::memory_order_relaxed);
  }
  lru_.push_front(*index);
  if (block->size > 0) data_lru_.push_front(*index);
  auto& function_list = by_function_[options.function];
  function_list.push_front(*index);
  live_[*index] = Live{*block,       options.function,  options.expires_ns,
                       lru_.begin(), data_lru_.begin(), function_list.begin()};
  stats_.bytes_used += block->size;
  ++stats_.entries;
  ++stats_.inserts;
  PublishStats();
  return absl::OkStatus();
}

void Store::Touch(const Key& key) {
  std::optional<std::uint32_t> index = FindSlot(key);
  if (!index) return;
  Live& live = live_.at(*index);
  lru_.splice(lru_.begin(), lru_, live.lru);
  if (live.block.size > 0) data_lru_.splice(data_lru_.begin(), data_lru_, live.data_lru);
  auto& function_list = by_function_[live.function];
  function_list.splice(function_list.begin(), function_list, live.function_lru);
}

bool Store::Pin(const Key& key, std::uint64_t value_offset, std::uint64_t size) {
  std::optional<std::uint32_t> index = FindSlot(key);
  if (!index) return false;
  const Live& live = live_.at(*index);
  if (live.block.size == 0 || slot(*index).offset.load(std::memory_order_relaxed) != value_offset ||
      slot(*index).size.load(std::memory_order_relaxed) != size) {
    return false;
  }
  Pinned& pinned = pinned_[value_offset];
  pinned.block = live.block;
  ++pinned.pins;
  return true;
}

bool Store::Unpin(std::uint64_t value_offset) {
  auto it = pinned_.find(value_offset);
  if (it == pinned_.end()) return false;
  if (--it->second.pins > 0) return true;
  if (it->second.left) {
    Free(it->second.block);
    leftover_bytes_ -= it->second.block.size;
    stats_.bytes_used -= it->second.block.size;
    PublishStats();
  }
  pinned_.erase(it);
  return true;
}

bool Store::Erase(const Key& key) {
  std::optional<std::uint32_t> index = FindSlot(key);
  if (!index) return false;
  EvictSlot(*index);
  return true;
}

std::size_t Store::EraseFunction(std::uint32_t function) {
  auto it = by_function_.find(function);
  if (it == by_function_.end()) return 0;
  std::vector<std::uint32_t> slots(it->second.begin(), it->second.end());
  for (std::uint32_t i : slots) EvictSlot(i);
  return slots.size();
}

void Store::Clear() {
  std::vector<std::uint32_t> slots(lru_.begin(), lru_.end());
  for (std::uint32_t i : slots) EvictSlot(i);
}

std::size_t Store::EvictExpired(std::uint64_t now_ns) {
  std::vector<std::uint32_t> expired;
  for (const auto& [i, live] : live_) {
    if (live.expires_ns != 0 && live.expires_ns <= now_ns) expired.push_back(i);
  }
  for (std::uint32_t i : expired) EvictSlot(i);
  return expired.size();
}

void Store::PublishStats() {
  header_->bytes_used.store(stats_.bytes_used, std::memory_order_relaxed);
  header_->entries.store(stats_.entries, std::memory_order_relaxed);
  header_->inserts.store(stats_.inserts, std::memory_order_relaxed);
  header_->evictions.store(stats_.evictions, std::memory_order_relaxed);
}

StoreStats Store::stats() const { return stats_; }

absl::Status Store::CheckConsistency() const {
  std::map<std::uint64_t, std::uint64_t> blocks = free_;
  std::uint64_t leftover = 0;
  for (const auto& [offset, pinned] : pinned_) {
    if (pinned.pins == 0) return absl::InternalError(StrCat("a pin at ", offset, " holds nothing"));
    if (!pinned.left) continue;  // its entry is still live: counted below
    leftover += pinned.block.size;
    if (!blocks.emplace(pinned.block.start, pinned.block.size).second) {
      return absl::InternalError(StrCat("two blocks start at ", pinned.block.start));
    }
  }
  if (leftover != leftover_bytes_) return absl::InternalError("pinned leftovers disagree");
  std::uint64_t live_bytes = 0;
  for (const auto& [i, live] : live_) {
    live_bytes += live.block.size;
    if (live.block.size == 0) {  // an inline value
      if (slot(i).offset.load() != kInlineOffset) {
        return absl::InternalError(StrCat("slot ", i, " lost its data block"));
      }
    } else if (!blocks.emplace(live.block.start, live.block.size).second) {
      return absl::InternalError(StrCat("two blocks start at ", live.block.start));
    }
    Key key{slot(i).key_low.load(), slot(i).key_high.load()};
    if (FindSlot(key) != i)
      return absl::InternalError(StrCat("slot ", i, " is not found by a probe"));
  }
  std::uint64_t at = 0;
  for (const auto& [start, size] : blocks) {
    if (start != at) return absl::InternalError(StrCat("bytes ", at, "..", start, " are lost"));
    at = start + size;
  }
  if (at != data_size_)
    return absl::InternalError(StrCat("data ends at ", at, " not ", data_size_));
  if (live_.size() != stats_.entries || lru_.size() != live_.size()) {
    return absl::InternalError("entry counts disagree");
  }
  if (stats_.bytes_used != live_bytes + leftover) {
    return absl::InternalError(
        StrCat("bytes used says ", stats_.bytes_used, ", the blocks ", live_bytes + leftover));
  }
  auto in_data = std::count_if(live_.begin(), live_.end(),
                               [](const auto& entry) { return entry.second.block.size > 0; });
  if (data_lru_.size() != static_cast<std::size_t>(in_data)) {
    return absl::InternalError("the data region's LRU list disagrees with the entries");
  }
  return absl::OkStatus();
}

}  // namespace sluice::shm_cache
