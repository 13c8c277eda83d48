// What a cache_data entry holds: the encoded value first (so a large value
// starts on the arena's page boundary), then the elements the function
// showed, then a fixed trailer:
//
//   [value][elements][uint32 elements bytes][uint32 kEntryFormat]
//
// The same layout serves the shared arena and session-scoped entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sluice::worker {

inline constexpr std::uint32_t kEntryFormat = 0x31657473;  // "ste1"
inline constexpr std::size_t kEntryTrailerBytes = 8;

struct EntryParts {
  std::span<const std::byte> value;
  std::span<const std::byte> elements;
};

// Splits an entry; nullopt if its trailer does not add up.
std::optional<EntryParts> SplitEntry(std::span<const std::byte> entry);

inline std::size_t EntrySize(std::size_t value_bytes, std::size_t element_bytes) {
  return value_bytes + element_bytes + kEntryTrailerBytes;
}
// Writes the elements and the trailer after the value, which the caller has
// written into entry's first `value_bytes`. REQUIRES: entry.size() ==
// EntrySize(value_bytes, elements.size()).
void FinishEntry(std::span<std::byte> entry, std::size_t value_bytes, std::string_view elements);

// Shows the recorded elements again (Session::EndCapture's format) in the
// current session, if any. Damaged records are skipped.
void ReplayElements(std::span<const std::byte> elements);

}  // namespace sluice::worker
