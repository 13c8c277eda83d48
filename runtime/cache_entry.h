// What a cache_data entry holds. Most functions show nothing, and their
// entry is the encoded value alone, so a small value stays small enough to
// live in its index slot (shm_cache/layout.h). A function that showed
// elements gets them stored after its value, with a fixed trailer:
//
//   kValue:             [value]
//   kValueAndElements:  [value][elements][uint32 elements bytes][uint32 kEntryFormat]
//
// The value comes first either way, so a large value starts on the arena's
// page boundary. The kind travels beside the bytes (the arena keeps it in
// the entry's slot). The same layout serves session-scoped entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "ipc/page.capnp.h"

namespace sluice::runtime {

enum class EntryKind : std::uint16_t {
  kValue = 0,
  kValueAndElements = 1,
};

inline constexpr std::uint32_t kEntryFormat = 0x31657473;  // "ste1"
inline constexpr std::size_t kEntryTrailerBytes = 8;

struct EntryParts {
  std::span<const std::byte> value;
  std::span<const std::byte> elements;
};

// Splits an entry of `kind` (untrusted: any number); nullopt if it does not
// add up.
std::optional<EntryParts> SplitEntry(std::span<const std::byte> entry, std::uint16_t kind);

// The layout of an entry whose function showed `elements`.
inline EntryKind EntryKindFor(std::string_view elements) {
  return elements.empty() ? EntryKind::kValue : EntryKind::kValueAndElements;
}
inline std::size_t EntrySize(std::size_t value_bytes, std::string_view elements) {
  return elements.empty() ? value_bytes : value_bytes + elements.size() + kEntryTrailerBytes;
}
// Writes the elements and the trailer (if any) after the value, which the
// caller has written into entry's first `value_bytes`. REQUIRES:
// entry.size() == EntrySize(value_bytes, elements).
void FinishEntry(std::span<std::byte> entry, std::size_t value_bytes, std::string_view elements);

// Reads recorded elements (AppRunner::EndCapture's format: for each, a uint32
// word count, then that many words of its canonical one-segment message)
// out of untrusted bytes, and calls `show` with each one that is sound and
// of a kind a cached function may show (element_kinds.h). A
// record is refused unless it is canonical, as a real recording is, and
// nests no deeper than kReplayNestingLimit; it is read with a traversal
// limit of kReplayReadsPerWord times its own size, so pointers that share
// their targets cannot make a small record cost much to copy. A `show` that
// throws kj::Exception refuses that record too; other exceptions pass
// through. Pure: no session, no I/O.
struct ReplayCount {
  std::size_t shown = 0;
  std::size_t refused = 0;  // including a truncated tail
};
inline constexpr int kReplayNestingLimit = 32;
inline constexpr std::uint64_t kReplayReadsPerWord = 4;
ReplayCount ForEachRecordedElement(std::span<const std::byte> elements,
                                   absl::FunctionRef<void(ipc::Element::Reader)> show);

}  // namespace sluice::runtime
