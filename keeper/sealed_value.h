// A cache value too large to ride inline in a publish message arrives as a
// memfd the worker wrote and then sealed. The keeper maps it only after the
// kernel guarantees it can no longer change size, so reading it cannot fault
// (SIGBUS) however hostile the worker is.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "shm_cache/arena.h"

namespace sluice::keeper {

// Maps `fd` read-only after checking that it is a memfd sealed against
// writes (F_SEAL_WRITE or F_SEAL_FUTURE_WRITE), growing and shrinking, and
// exactly `size` bytes long (size > 0). InvalidArgument names what is wrong.
// The caller keeps `fd`; the mapping lives on its own.
absl::StatusOr<shm_cache::Mapping> MapSealedValue(int fd, std::uint64_t size);

}  // namespace sluice::keeper
