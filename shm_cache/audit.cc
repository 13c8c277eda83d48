#include "shm_cache/audit.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "shm_cache/layout.h"

namespace sluice::shm_cache {

namespace {

// How Store::Allocate (store.cc) lays a value out in the data region: its
// block starts on a kSmallAlign boundary; the EntryHeader lies right before
// the value, which starts on a kSmallAlign boundary -- a page boundary from
// kLargeValue bytes on, so that it can be mapped on its own -- and the block
// ends on the first kSmallAlign boundary after the value.
constexpr std::uint64_t kSmallAlign = 64;
constexpr std::uint64_t kLargeAlign = kPageSize;
constexpr std::uint64_t kLargeValue = 64 * 1024;

std::uint64_t AlignUp(std::uint64_t value, std::uint64_t align) {
  return (value + align - 1) & ~(align - 1);
}

}  // namespace

absl::StatusOr<ArenaAudit> AuditArena(const std::byte* memory, std::size_t bytes) {
  const auto& header = *reinterpret_cast<const ArenaHeader*>(memory);
  const std::uint64_t slots = header.slot_count;
  if (header.magic != kArenaMagic || slots == 0 || (slots & (slots - 1)) != 0 ||
      header.index_offset + slots * sizeof(IndexSlot) > header.data_offset ||
      header.data_offset % kPageSize != 0 || header.data_offset + header.data_size > bytes) {
    return absl::DataLossError("the arena header is inconsistent");
  }
  const std::uint64_t changes_before = header.inserts.load() + header.evictions.load();
  const auto* index = reinterpret_cast<const IndexSlot*>(memory + header.index_offset);
  const std::byte* data = memory + header.data_offset;
  const std::uint64_t mask = slots - 1;

  struct Placed {
    std::uint64_t offset, size, slot;
  };
  std::vector<Placed> placed;
  std::set<std::pair<std::uint64_t, std::uint64_t>> keys;
  std::set<std::uint64_t> generations;
  ArenaAudit audit;
  for (std::uint64_t i = 0; i < slots; ++i) {
    const IndexSlot& slot = index[i];
    if (slot.version.load(std::memory_order_acquire) & 1) {
      return absl::AbortedError(absl::StrCat("slot ", i, " is being written"));
    }
    std::uint32_t state = slot.state.load();
    if (state == kSlotEmpty || state == kSlotTombstone) continue;
    if (state != kSlotFull) {
      return absl::DataLossError(absl::StrCat("slot ", i, " has state ", state));
    }
    ++audit.entries;
    Key key{slot.key_low.load(), slot.key_high.load()};
    std::uint64_t offset = slot.offset.load();
    std::uint64_t size = slot.size.load();
    std::uint64_t generation = slot.generation.load();
    if (!keys.emplace(key.low, key.high).second) {
      return absl::DataLossError(absl::StrCat("slot ", i, " holds a key another slot holds"));
    }
    if (generation == 0 || !generations.insert(generation).second) {
      return absl::DataLossError(absl::StrCat("slot ", i, " has a repeated generation"));
    }
    // A reader's probe starts at the key's home and stops at an empty slot.
    std::uint64_t home = key.low & mask;
    if (((i - home) & mask) >= kMaxProbe) {
      return absl::DataLossError(absl::StrCat("slot ", i, " is beyond its key's probe window"));
    }
    for (std::uint64_t j = home; j != i; j = (j + 1) & mask) {
      if (index[j].state.load() == kSlotEmpty) {
        return absl::DataLossError(
            absl::StrCat("slot ", i, " is unreachable: empty slot ", j, " stops the probe"));
      }
    }
    if (offset == kInlineOffset) {
      if (size > kInlineBytes) {
        return absl::DataLossError(absl::StrCat("inline slot ", i, " claims ", size, " bytes"));
      }
      ++audit.inline_entries;
      continue;
    }
    if (offset < sizeof(EntryHeader) || offset > header.data_size ||
        size > header.data_size - offset) {
      return absl::DataLossError(
          absl::StrCat("slot ", i, ": ", size, " bytes at ", offset, " leave the data region"));
    }
    if (offset % (size >= kLargeValue ? kLargeAlign : kSmallAlign) != 0) {
      return absl::DataLossError(absl::StrCat("slot ", i, ": value at ", offset, " is misaligned"));
    }
    EntryHeader entry;
    std::memcpy(&entry, data + offset - sizeof(EntryHeader), sizeof(entry));
    if (entry.key_low != key.low || entry.key_high != key.high || entry.generation != generation ||
        entry.size != size) {
      return absl::DataLossError(
          absl::StrCat("slot ", i, ": the entry header at ", offset, " does not match the slot"));
    }
    if (size >= kLargeValue) ++audit.large_entries;
    placed.push_back({offset, size, i});
  }
  std::sort(placed.begin(), placed.end(),
            [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
  std::uint64_t previous_end = 0;
  std::uint64_t previous_slot = 0;
  for (const Placed& p : placed) {
    // The earliest the block can start (a small value's block starts
    // exactly here) and the latest.
    std::uint64_t latest_start = p.offset - kSmallAlign;
    std::uint64_t earliest_start = p.size >= kLargeValue ? p.offset - kLargeAlign : latest_start;
    if (latest_start < previous_end) {
      return absl::DataLossError(absl::StrCat("the entries of slots ", previous_slot, " and ",
                                              p.slot, " overlap (", previous_end, " > ",
                                              latest_start, ")"));
    }
    std::uint64_t end = AlignUp(p.offset + p.size, kSmallAlign);
    if (end > header.data_size) {
      return absl::DataLossError(absl::StrCat("slot ", p.slot, "'s block ends past the data"));
    }
    audit.min_bytes_used += end - latest_start;
    audit.max_bytes_used += end - std::max(earliest_start, previous_end);
    previous_end = end;
    previous_slot = p.slot;
  }
  if (header.inserts.load() + header.evictions.load() != changes_before) {
    return absl::AbortedError("the keeper changed the arena during the audit");
  }
  return audit;
}

}  // namespace sluice::shm_cache
