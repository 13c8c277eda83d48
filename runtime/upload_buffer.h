// The memory that holds one uploaded file inside its session's worker: a
// private anonymous mapping of its own, so that MADV_DONTDUMP keeps exactly
// these bytes out of core dumps, and so that releasing it returns the pages
// to the kernel instead of to malloc. Never backed by a file.
//
// Wipe() zeroes the bytes at once (explicit_bzero); the destructor wipes and
// unmaps. Single-threaded, like the worker.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "absl/status/statusor.h"

namespace sluice::runtime {

class UploadBuffer {
 public:
  // Room for exactly `capacity` bytes (none is mapped for 0). Fails if the
  // mapping cannot be made (the worker's memory limit, say).
  static absl::StatusOr<std::unique_ptr<UploadBuffer>> Create(std::size_t capacity);
  ~UploadBuffer();
  UploadBuffer(const UploadBuffer&) = delete;
  UploadBuffer& operator=(const UploadBuffer&) = delete;

  // Appends `data`; false (and nothing appended) if it would not fit.
  bool Append(std::span<const std::byte> data);
  // Zeroes what was written; bytes() is then empty. The mapping stays until
  // the buffer is destroyed.
  void Wipe();

  std::span<const std::byte> bytes() const { return {base_, size_}; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }

 private:
  UploadBuffer(std::byte* base, std::size_t mapped, std::size_t capacity)
      : base_(base), mapped_(mapped), capacity_(capacity) {}

  std::byte* base_;
  std::size_t mapped_;
  std::size_t capacity_;
  std::size_t size_ = 0;
};

}  // namespace sluice::runtime
