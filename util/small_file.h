// Reading small files, such as those under /proc, with plain read(2).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>

#include "util/unique_fd.h"

namespace sluice {

// The whole of a small file, up to about `limit` bytes; "" if it cannot be
// opened, and what was read so far if a read fails. A /proc file of a
// process that exits while it is read fails with ESRCH; this returns then,
// where an istreambuf_iterator over an ifstream would throw (libstdc++'s
// filebuf throws on a failed read).
inline std::string ReadSmallFile(const std::string& path, std::size_t limit = 64u << 10) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  std::string contents;
  char buffer[4096];
  while (contents.size() <= limit) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    contents.append(buffer, static_cast<std::size_t>(n));
  }
  return contents;
}

}  // namespace sluice
