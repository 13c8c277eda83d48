#include "shm_cache/arena.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "util/log.h"
#include "util/strings.h"

namespace sluice::shm_cache {

namespace {

absl::Status Errno(std::string_view call, int err) {
  LogSyscallError(call, err);
  return absl::InternalError(StrCat(call, ": ", std::strerror(err)));
}

absl::StatusOr<Mapping> Map(int fd, std::size_t bytes, int protection) {
  void* data = ::mmap(nullptr, bytes, protection, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) return Errno("mmap", errno);
  return Mapping::Adopt(static_cast<std::byte*>(data), bytes);
}

}  // namespace

absl::StatusOr<UniqueFd> CreateArenaFile(std::size_t bytes) {
  UniqueFd fd(::memfd_create("sluice-cache", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return Errno("memfd_create", errno);
  if (::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) return Errno("ftruncate", errno);
  return fd;
}

absl::Status SealArena(int fd) {
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) !=
      0) {
    return Errno("fcntl(F_ADD_SEALS)", errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<Mapping> Mapping::Writable(int fd, std::size_t bytes) {
  return Map(fd, bytes, PROT_READ | PROT_WRITE);
}

absl::StatusOr<Mapping> Mapping::ReadOnly(int fd, std::size_t bytes) {
  // Only after F_SEAL_FUTURE_WRITE does the kernel make a new shared mapping
  // unable to gain PROT_WRITE; one made before keeps that right.
  int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0) return Errno("fcntl(F_GET_SEALS)", errno);
  if ((seals & F_SEAL_FUTURE_WRITE) == 0) {
    return absl::FailedPreconditionError("the arena must be sealed before it is mapped read-only");
  }
  return Map(fd, bytes, PROT_READ);
}

Mapping::Mapping(Mapping&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    this->~Mapping();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

Mapping::~Mapping() {
  if (data_ != nullptr && ::munmap(data_, size_) != 0) LogSyscallError("munmap", errno);
}

}  // namespace sluice::shm_cache
