#include "keeper/sealed_value.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "util/strings.h"

namespace sluice::keeper {

absl::StatusOr<shm_cache::Mapping> MapSealedValue(int fd, std::uint64_t size) {
  if (size == 0) return absl::InvalidArgumentError("an empty value must be sent inline");
  int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    return absl::InvalidArgumentError(
        StrCat("the value's descriptor is not a memfd (F_GET_SEALS: ", std::strerror(errno), ")"));
  }
  constexpr int kSize = F_SEAL_GROW | F_SEAL_SHRINK;
  constexpr int kWrite = F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
  if ((seals & kSize) != kSize || (seals & kWrite) == 0) {
    return absl::InvalidArgumentError(
        StrCat("the value's memfd is not sealed against writing and resizing (seals ", seals, ")"));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return absl::InvalidArgumentError(StrCat("fstat: ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) != size) {
    return absl::InvalidArgumentError(
        StrCat("the value's memfd holds ", st.st_size, " bytes, not the ", size, " announced"));
  }
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) {
    return absl::InvalidArgumentError(StrCat("mmap of the value: ", std::strerror(errno)));
  }
  return shm_cache::Mapping::Adopt(static_cast<std::byte*>(data), size);
}

}  // namespace sluice::keeper
