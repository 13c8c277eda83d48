#include "sandbox/limits.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "util/strings.h"

namespace sluice::sandbox {

namespace {

absl::Status SetLimit(int resource, const char* name, rlim_t value) {
  rlimit limit{value, value};
  if (::setrlimit(resource, &limit) != 0) {
    return absl::InternalError(
        StrCat("setrlimit(", name, ", ", value, "): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<std::uint64_t> MappedBytes() {
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char text[128] = {};
  ssize_t n = ::read(fd, text, sizeof(text) - 1);
  ::close(fd);
  unsigned long long pages = 0;
  if (n <= 0 || std::sscanf(text, "%llu", &pages) != 1) return std::nullopt;
  return pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

absl::Status ApplyWorkerLimits(std::uint64_t memory_bytes,
                               std::optional<std::uint64_t> inherited_bytes, std::string* how) {
  if (absl::Status s = SetLimit(RLIMIT_CORE, "RLIMIT_CORE", 0); !s.ok()) return s;
  rlimit fds{};
  ::getrlimit(RLIMIT_NOFILE, &fds);
  rlim_t max_fds = std::min<rlim_t>(kWorkerMaxFds, fds.rlim_max);
  if (absl::Status s = SetLimit(RLIMIT_NOFILE, "RLIMIT_NOFILE", max_fds); !s.ok()) return s;
  if (memory_bytes == 0) {
    *how = "unbounded";
    return absl::OkStatus();
  }
  if (!inherited_bytes) {
    *how = "unbounded_no_statm";
    return absl::OkStatus();
  }
  *how = StrCat("inherited_", *inherited_bytes >> 20, "MiB_plus_", memory_bytes >> 20, "MiB");
  return SetLimit(RLIMIT_AS, "RLIMIT_AS", *inherited_bytes + memory_bytes);
}

}  // namespace sluice::sandbox
