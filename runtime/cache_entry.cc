#include "runtime/cache_entry.h"

#include <capnp/serialize.h>

#include <cstring>
#include <vector>

#include "ipc/page.capnp.h"
#include "runtime/element_kinds.h"

namespace sluice::runtime {

std::optional<EntryParts> SplitEntry(std::span<const std::byte> entry, std::uint16_t kind) {
  if (kind == static_cast<std::uint16_t>(EntryKind::kValue)) return EntryParts{entry, {}};
  if (kind != static_cast<std::uint16_t>(EntryKind::kValueAndElements) ||
      entry.size() < kEntryTrailerBytes) {
    return std::nullopt;
  }
  std::uint32_t trailer[2];
  std::memcpy(trailer, entry.data() + entry.size() - kEntryTrailerBytes, sizeof trailer);
  std::size_t body = entry.size() - kEntryTrailerBytes;
  if (trailer[1] != kEntryFormat || trailer[0] > body) return std::nullopt;
  std::size_t value = body - trailer[0];
  return EntryParts{entry.first(value), entry.subspan(value, trailer[0])};
}

void FinishEntry(std::span<std::byte> entry, std::size_t value_bytes, std::string_view elements) {
  if (elements.empty()) return;
  std::memcpy(entry.data() + value_bytes, elements.data(), elements.size());
  const std::uint32_t trailer[2] = {static_cast<std::uint32_t>(elements.size()), kEntryFormat};
  std::memcpy(entry.data() + value_bytes + elements.size(), trailer, sizeof trailer);
}

ReplayCount ForEachRecordedElement(std::span<const std::byte> elements,
                                   absl::FunctionRef<void(ipc::Element::Reader)> show) {
  ReplayCount count;
  std::size_t at = 0;
  std::vector<capnp::word> words;
  while (elements.size() - at >= sizeof(std::uint32_t)) {
    std::uint32_t size;
    std::memcpy(&size, elements.data() + at, sizeof size);
    at += sizeof size;
    if (size > (elements.size() - at) / sizeof(capnp::word)) break;
    // Copied: the arena's bytes may be unaligned for words, and may change.
    words = std::vector<capnp::word>(size);  // not resize(): see ipc/packet.cc
    // An empty record has no buffer: memcpy's pointers must not be null.
    if (size != 0) {
      std::memcpy(words.data(), elements.data() + at, std::size_t{size} * sizeof(capnp::word));
    }
    at += std::size_t{size} * sizeof(capnp::word);
    try {
      // One canonical segment, no segment table (capnp::canonicalize).
      kj::ArrayPtr<const capnp::word> segments[1] = {kj::arrayPtr(words.data(), words.size())};
      capnp::ReaderOptions options;
      options.traversalLimitInWords = kReplayReadsPerWord * (std::uint64_t{size} + 1);
      options.nestingLimit = kReplayNestingLimit;
      capnp::SegmentArrayMessageReader message(kj::arrayPtr(segments, 1), options);
      // A canonical message has no two pointers to the same bytes, so each
      // whole read of it costs at most its own size.
      if (!message.isCanonical()) {
        ++count.refused;
        continue;
      }
      // Only kinds a cached function may show (element_kinds.h): a widget or
      // a block in an entry was not recorded by a sound worker.
      ipc::Element::Reader element = message.getRoot<ipc::Element>();
      const ElementKind* kind = FindElementKind(element.which());
      if (kind == nullptr || !kind->in_cached_function) {
        ++count.refused;
        continue;
      }
      show(element);
      ++count.shown;
    } catch (const kj::Exception&) {
      ++count.refused;
    }
  }
  if (at != elements.size()) ++count.refused;
  return count;
}

}  // namespace sluice::runtime
