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

WorkerLimits PlanWorkerLimits(std::uint64_t memory_bytes,
                              std::optional<std::uint64_t> inherited_bytes) {
  WorkerLimits plan;
  plan.limits.push_back({RLIMIT_CORE, "RLIMIT_CORE", 0});
  rlimit fds{};
  ::getrlimit(RLIMIT_NOFILE, &fds);
  plan.limits.push_back(
      {RLIMIT_NOFILE, "RLIMIT_NOFILE", std::min<rlim_t>(kWorkerMaxFds, fds.rlim_max)});
  if (memory_bytes == 0) {
    plan.how = "unbounded";
  } else if (!inherited_bytes) {
    plan.how = "unbounded_no_statm";
  } else {
    plan.how = StrCat("inherited_", *inherited_bytes >> 20, "MiB_plus_", memory_bytes >> 20, "MiB");
    plan.limits.push_back({RLIMIT_AS, "RLIMIT_AS", *inherited_bytes + memory_bytes});
  }
  return plan;
}

absl::Status ApplyWorkerLimits(const WorkerLimits& plan) {
  for (const WorkerLimits::Limit& limit : plan.limits) {
    if (absl::Status s = SetLimit(limit.resource, limit.name, limit.value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace sluice::sandbox
