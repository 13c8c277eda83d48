#include "worker/cache_entry.h"

#include <capnp/serialize.h>

#include <cstring>
#include <vector>

#include "ipc/page.capnp.h"
#include "util/log.h"

namespace sluice::worker {

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

void ForEachRecordedElement(std::span<const std::byte> elements,
                            const std::function<void(ipc::Element::Reader)>& show) {
  std::size_t at = 0;
  std::vector<capnp::word> words;
  while (elements.size() - at >= sizeof(std::uint32_t)) {
    std::uint32_t count;
    std::memcpy(&count, elements.data() + at, sizeof count);
    at += sizeof count;
    if (count > (elements.size() - at) / sizeof(capnp::word)) break;
    words = std::vector<capnp::word>(count);  // not resize(): see ipc/packet.cc
    // An empty record has no buffer: memcpy's pointers must not be null.
    if (count != 0) std::memcpy(words.data(), elements.data() + at, count * sizeof(capnp::word));
    at += count * sizeof(capnp::word);
    try {
      // One canonical segment, no segment table (capnp::canonicalize).
      kj::ArrayPtr<const capnp::word> segments[1] = {kj::arrayPtr(words.data(), words.size())};
      capnp::SegmentArrayMessageReader message(kj::arrayPtr(segments, 1));
      show(message.getRoot<ipc::Element>());
    } catch (const kj::Exception& e) {
      LogWarning("cache_replay_skipped", {{"error", e.getDescription().cStr()}});
    }
  }
}

}  // namespace sluice::worker
