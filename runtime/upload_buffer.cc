#include "runtime/upload_buffer.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/log.h"
#include "util/strings.h"

namespace sluice::runtime {

absl::StatusOr<std::unique_ptr<UploadBuffer>> UploadBuffer::Create(std::size_t capacity) {
  if (capacity == 0) return std::unique_ptr<UploadBuffer>(new UploadBuffer(nullptr, 0, 0));
  std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::size_t mapped = (capacity + page - 1) / page * page;
  void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    int error = errno;
    LogSyscallError("mmap", error, {{"bytes", mapped}});
    return absl::ResourceExhaustedError(
        StrCat("no memory for a file of ", DescribeBytes(capacity), " (", strerror(error), ")"));
  }
  // Uploaded bytes must not end up in a core file, whatever else does.
  if (madvise(base, mapped, MADV_DONTDUMP) != 0) {
    int error = errno;
    LogSyscallError("madvise(MADV_DONTDUMP)", error, {{"bytes", mapped}});
    munmap(base, mapped);
    return absl::InternalError(
        StrCat("cannot keep upload memory out of core dumps (", strerror(error), ")"));
  }
  return std::unique_ptr<UploadBuffer>(
      new UploadBuffer(static_cast<std::byte*>(base), mapped, capacity));
}

UploadBuffer::~UploadBuffer() {
  Wipe();
  if (base_ != nullptr && munmap(base_, mapped_) != 0) LogSyscallError("munmap", errno);
}

bool UploadBuffer::Append(std::span<const std::byte> data) {
  if (data.size() > capacity_ - size_) return false;
  if (!data.empty()) std::memcpy(base_ + size_, data.data(), data.size());
  size_ += data.size();
  return true;
}

void UploadBuffer::Wipe() {
  if (size_ > 0) explicit_bzero(base_, size_);
  size_ = 0;
}

}  // namespace sluice::runtime
