#include "tests/support/leak_probe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "util/unique_fd.h"

namespace sluice::testing {
namespace {

namespace fs = std::filesystem;

constexpr size_t kBlock = 4 << 20;
constexpr uint64_t kLargestRegion = uint64_t{64} << 30;

struct Region {
  uint64_t begin = 0;
  uint64_t end = 0;
  bool readable = false;
  uint64_t rss_kib = 0;
};

std::vector<Region> ResidentRegions(pid_t pid) {
  std::vector<Region> regions;
  std::ifstream smaps(absl::StrCat("/proc/", pid, "/smaps"));
  for (std::string line; std::getline(smaps, line);) {
    // A mapping's header: "begin-end perms offset dev inode [path]".
    size_t dash = line.find('-');
    size_t space = line.find(' ');
    if (dash != std::string::npos && space != std::string::npos && dash < space &&
        line.find(':') > space) {
      Region region;
      region.begin = std::stoull(line.substr(0, dash), nullptr, 16);
      region.end = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
      region.readable = line.size() > space + 1 && line[space + 1] == 'r';
      regions.push_back(region);
    } else if (line.rfind("Rss:", 0) == 0 && !regions.empty()) {
      std::istringstream(line.substr(4)) >> regions.back().rss_kib;
    }
  }
  return regions;
}

// Reads `fd` from `offset` (pread) in blocks, carrying the last needle-1
// bytes over so a match across blocks is found. Stops at EOF or an error.
bool Scan(int fd, uint64_t offset, uint64_t length, std::string_view needle) {
  std::string window;
  std::vector<char> block(kBlock);
  uint64_t done = 0;
  while (done < length) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kBlock, length - done));
    ssize_t n = pread(fd, block.data(), want, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // An unreadable page (a guard, say): skip one page and go on.
      if (length != UINT64_MAX) {
        done += 4096;
        window.clear();
        continue;
      }
      break;
    }
    window.append(block.data(), static_cast<size_t>(n));
    if (window.find(needle) != std::string::npos) return true;
    if (window.size() >= needle.size()) window.erase(0, window.size() - (needle.size() - 1));
    done += static_cast<uint64_t>(n);
  }
  return false;
}

}  // namespace

absl::StatusOr<bool> MemoryContains(pid_t pid, std::string_view needle) {
  UniqueFd mem(open(absl::StrCat("/proc/", pid, "/mem").c_str(), O_RDONLY | O_CLOEXEC));
  if (!mem.valid()) {
    return absl::PermissionDeniedError(
        absl::StrCat("open /proc/", pid, "/mem: ", std::strerror(errno)));
  }
  std::vector<Region> regions = ResidentRegions(pid);
  if (regions.empty()) return absl::NotFoundError(absl::StrCat("no mappings for pid ", pid));
  for (const Region& region : regions) {
    if (!region.readable || region.rss_kib == 0) continue;
    if (region.end - region.begin > kLargestRegion) continue;
    if (Scan(mem.get(), region.begin, region.end - region.begin, needle)) return true;
  }
  return false;
}

std::vector<std::string> FilesContaining(const std::vector<fs::path>& roots,
                                         fs::file_time_type since, std::string_view needle) {
  std::vector<std::string> found;
  for (const fs::path& root : roots) {
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code entry_ec;
      if (!it->is_regular_file(entry_ec) || it->is_symlink(entry_ec)) continue;
      if (it->last_write_time(entry_ec) < since || entry_ec) continue;
      UniqueFd fd(open(it->path().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
      if (!fd.valid()) continue;
      if (Scan(fd.get(), 0, UINT64_MAX, needle)) found.push_back(it->path().string());
    }
  }
  return found;
}

std::vector<std::string> OpenFilesContaining(pid_t pid, std::string_view needle) {
  std::vector<std::string> found;
  std::error_code ec;
  fs::path dir = absl::StrCat("/proc/", pid, "/fd");
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::error_code link_ec;
    fs::path target = fs::read_symlink(it->path(), link_ec);
    std::string shown = target.string();
    if (shown.rfind("socket:", 0) == 0 || shown.rfind("pipe:", 0) == 0 ||
        shown.rfind("anon_inode:", 0) == 0) {
      continue;
    }
    // Through /proc/PID/fd/N, as the worker sees it: deleted files and
    // memfds included.
    UniqueFd fd(open(it->path().c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd.valid()) continue;
    struct stat st;
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (Scan(fd.get(), 0, UINT64_MAX, needle)) {
      found.push_back(absl::StrCat("fd ", it->path().filename().string(), " -> ", shown));
    }
  }
  return found;
}

}  // namespace sluice::testing
