// The memory behind the cache: one memfd, made by the broker before it forks
// anything, mapped read-write by the keeper and read-only by the zygote (and
// so by every worker). Once the keeper has its writable mapping the file is
// sealed against new writable mappings, so a worker cannot make one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "util/unique_fd.h"

namespace sluice::shm_cache {

// Creates the arena file: `bytes` of zeroes in a sealable memfd.
absl::StatusOr<UniqueFd> CreateArenaFile(std::size_t bytes);

// Forbids new writable mappings, and any change of size, for every process
// that holds the descriptor (F_SEAL_FUTURE_WRITE). Mappings made before stay.
absl::Status SealArena(int fd);

// An mmap of the arena, unmapped exactly once.
class Mapping {
 public:
  static absl::StatusOr<Mapping> Writable(int fd, std::size_t bytes);
  // REQUIRES: SealArena(fd) first, else FailedPrecondition: a read-only
  // shared mapping made before the seal can later be mprotect()ed writable.
  static absl::StatusOr<Mapping> ReadOnly(int fd, std::size_t bytes);

  Mapping() = default;
  Mapping(Mapping&& other) noexcept;
  Mapping& operator=(Mapping&& other) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping();

  // Takes ownership of an existing mapping.
  static Mapping Adopt(std::byte* data, std::size_t size) { return Mapping(data, size); }

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  Mapping(std::byte* data, std::size_t size) : data_(data), size_(size) {}
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace sluice::shm_cache
