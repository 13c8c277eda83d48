#include "broker/app_check.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/strings.h"
#include "util/unique_fd.h"

namespace sluice::broker {

absl::Status CheckAppLibrary(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return absl::NotFoundError(
        StrCat("cannot open app library ", path, ": ", std::strerror(errno)));
  }
  struct stat info;
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(StrCat(path, " is not a regular file"));
  }
  Elf64_Ehdr header;
  ssize_t n = ::pread(fd.get(), &header, sizeof(header), 0);
  if (n != static_cast<ssize_t>(sizeof(header)) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
    return absl::InvalidArgumentError(StrCat(path, " is not a shared library (not ELF)"));
  }
  if (header.e_type != ET_DYN) {
    return absl::InvalidArgumentError(
        StrCat(path, " is not a shared library (ELF type ", header.e_type, ")"));
  }
  return absl::OkStatus();
}

}  // namespace sluice::broker
