#include "tests/support/process_probe.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "util/small_file.h"
#include "util/unique_fd.h"

namespace sluice::testing {
namespace {

struct StatFields {
  char state;
  pid_t ppid;
  pid_t pgrp;
};

// Fields of /proc/PID/stat after the command name, which may itself hold
// spaces and parentheses.
std::optional<StatFields> ReadStat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  StatFields fields{};
  if (!(rest >> fields.state >> fields.ppid >> fields.pgrp)) return std::nullopt;
  return fields;
}

bool Live(const StatFields& fields) { return fields.state != 'Z' && fields.state != 'X'; }

std::vector<pid_t> AllPids() {
  std::vector<pid_t> pids;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir("/proc"), closedir);
  if (!dir) return pids;
  while (dirent* entry = readdir(dir.get())) {
    char* end;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end == '\0' && pid > 0) pids.push_back(static_cast<pid_t>(pid));
  }
  return pids;
}

std::string Cmdline(pid_t pid) {
  std::string raw = ReadProcFile(pid, "cmdline");
  std::replace(raw.begin(), raw.end(), '\0', ' ');
  return raw;
}

}  // namespace

std::string ReadProcFile(pid_t pid, std::string_view name) {
  return ReadSmallFile("/proc/" + std::to_string(pid) + "/" + std::string(name));
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  std::optional<StatFields> fields = ReadStat(pid);
  return fields && Live(*fields);
}

std::vector<pid_t> DescendantsOf(pid_t root) {
  std::multimap<pid_t, pid_t> children;  // parent -> child
  for (pid_t pid : AllPids()) {
    std::optional<StatFields> fields = ReadStat(pid);
    if (fields && Live(*fields)) children.emplace(fields->ppid, pid);
  }
  std::vector<pid_t> found;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    pid_t parent = frontier.back();
    frontier.pop_back();
    auto [begin, end] = children.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      found.push_back(it->second);
      frontier.push_back(it->second);
    }
  }
  return found;
}

std::vector<pid_t> ProcessesInGroup(pid_t pgid) {
  std::vector<pid_t> found;
  for (pid_t pid : AllPids()) {
    std::optional<StatFields> fields = ReadStat(pid);
    if (fields && Live(*fields) && fields->pgrp == pgid) found.push_back(pid);
  }
  return found;
}

std::vector<pid_t> ProcessesWithCmdline(std::string_view needle) {
  std::vector<pid_t> found;
  for (pid_t pid : AllPids()) {
    if (pid == getpid() || !ProcessAlive(pid)) continue;
    if (Cmdline(pid).find(needle) != std::string::npos) found.push_back(pid);
  }
  return found;
}

namespace {

// The "FIELD:   N kB" line of a /proc file.
std::optional<long> KiBLine(pid_t pid, std::string_view file, std::string_view field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + std::string(file));
  std::string prefix = std::string(field) + ":";
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, prefix.size(), prefix) != 0) continue;
    std::istringstream value(line.substr(prefix.size()));
    long kib;
    std::string unit;
    if (value >> kib >> unit && unit == "kB") return kib;
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<long> StatusKiB(pid_t pid, std::string_view field) {
  return KiBLine(pid, "status", field);
}

std::optional<long> SmapsRollupKiB(pid_t pid, std::string_view field) {
  return KiBLine(pid, "smaps_rollup", field);
}

std::optional<FaultCount> MinorFaults(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  size_t close = line.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  FaultCount count;
  std::string field;
  for (int i = 3; i <= 10 && rest >> field; ++i) {
    if (i == 3) count.state = field[0];
    if (i == 10) count.minor = std::atol(field.c_str());
  }
  if (!rest) return std::nullopt;
  return count;
}

std::vector<pid_t> NamespacePids(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, 6, "NSpid:") != 0) continue;
    std::istringstream values(line.substr(6));
    std::vector<pid_t> pids;
    for (pid_t value; values >> value;) pids.push_back(value);
    return pids;
  }
  return {};
}

std::optional<pid_t> DescendantByInnerPid(pid_t ancestor, pid_t inner_pid) {
  for (pid_t pid : DescendantsOf(ancestor)) {
    std::vector<pid_t> numbers = NamespacePids(pid);
    if (!numbers.empty() && numbers.back() == inner_pid) return pid;
  }
  return std::nullopt;
}

bool WaitForExit(const std::vector<pid_t>& pids, Deadline deadline) {
  std::vector<UniqueFd> pidfds;
  for (pid_t pid : pids) {
    UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (fd.valid()) {
      pidfds.push_back(std::move(fd));
    } else if (errno != ESRCH) {
      // No pidfd for it (ENOSYS, say): fall back to checking /proc.
      if (!WaitUntil([pid] { return !ProcessAlive(pid); }, deadline)) return false;
    }
  }
  // A pidfd becomes readable when its process exits, zombie or not.
  for (const UniqueFd& fd : pidfds) {
    while (true) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd p{fd.get(), POLLIN, 0};
      int ready = poll(&p, 1, static_cast<int>(std::max<long long>(left, 0)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
      break;
    }
  }
  return true;
}

bool WaitUntil(const std::function<bool()>& condition, Deadline deadline) {
  auto pause = std::chrono::milliseconds(1);
  while (true) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - Clock::now()));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

}  // namespace sluice::testing
