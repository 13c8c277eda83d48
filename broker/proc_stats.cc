#include "broker/proc_stats.h"

#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "util/small_file.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

// The number after "Field:" on its own line (/proc's kB figures).
std::optional<std::uint64_t> FieldKiB(std::string_view text, std::string_view field) {
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.size() <= field.size() || line.substr(0, field.size()) != field ||
        line[field.size()] != ':') {
      continue;
    }
    std::string_view rest = line.substr(field.size() + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    std::size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    std::uint64_t value = 0;
    if (digits == 0 || !absl::SimpleAtoi(ToAbsl(rest.substr(0, digits)), &value)) return {};
    return value;
  }
  return {};
}

}  // namespace

WorkerMemory ReadWorkerMemory(pid_t pid, bool with_pss) {
  WorkerMemory memory;
  if (pid <= 0) return memory;
  std::string status = ReadSmallFile(StrCat("/proc/", pid, "/status"));
  memory.rss_kb = FieldKiB(status, "VmRSS");
  memory.peak_rss_kb = FieldKiB(status, "VmHWM");
  if (with_pss)
    memory.pss_kb = FieldKiB(ReadSmallFile(StrCat("/proc/", pid, "/smaps_rollup")), "Pss");
  return memory;
}

}  // namespace sluice::broker
