// A reader's audit of the cache arena: walks the index through a read-only
// mapping and checks that every entry is where a lookup finds it, that the
// entries' bytes lie in the data region without overlapping, and what they
// add up to, so that a test can hold the keeper's counters (ArenaHeader)
// against what is really there. The keeper's own check of its private
// bookkeeping is Store::CheckConsistency().
//
// Reads only; safe from any process that maps the arena. Meant for an arena
// the keeper is not changing (tests, diagnostics): if it changes meanwhile,
// the audit says so rather than report a false inconsistency.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"

namespace sluice::shm_cache {

struct ArenaAudit {
  // Full index slots, those holding their value inline, and those holding
  // one of at least 64 KiB (page aligned in the data region).
  std::uint64_t entries = 0;
  std::uint64_t inline_entries = 0;
  std::uint64_t large_entries = 0;
  // What the entries' blocks in the data region add up to: exactly, but for
  // the alignment padding before a large value, which is the block's yet
  // invisible to a reader.
  std::uint64_t min_bytes_used = 0;
  std::uint64_t max_bytes_used = 0;
};

// Audits the arena mapped at `memory` (`bytes` long). DataLoss names the
// first inconsistency found; Aborted means the keeper changed the arena
// during the audit (try again once it is quiet).
absl::StatusOr<ArenaAudit> AuditArena(const std::byte* memory, std::size_t bytes);

}  // namespace sluice::shm_cache
