#include "sandbox/mount_view.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/container/btree_set.h"
#include "util/strings.h"

namespace sluice::sandbox {

namespace {

// Where the new root is built, and where the old one waits meanwhile (both
// inside a tmpfs mounted over /tmp, which after the first pivot_root is the
// root itself, so the host's /tmp stays reachable under /oldroot/tmp).
constexpr char kStage[] = "/tmp";
constexpr char kOldRoot[] = "/oldroot";
constexpr char kNewRoot[] = "/newroot";
constexpr const char* kDevices[] = {"/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"};

absl::Status Errno(std::string_view call, std::string_view what) {
  return absl::InternalError(StrCat(call, "('", what, "'): ", std::strerror(errno)));
}

int PivotRoot(const char* new_root, const char* put_old) {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

// mkdir -p of `path` (absolute).
absl::Status MakeDirs(const std::string& path) {
  for (std::size_t slash = 1; slash != std::string::npos;) {
    slash = path.find('/', slash + 1);
    std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", prefix);
  }
  return absl::OkStatus();
}

// Binds `source` (a file or a directory) at `target` read-only; devices
// stay usable.
absl::Status BindReadOnly(const std::string& source, const std::string& target, bool device) {
  struct stat info;
  if (::stat(source.c_str(), &info) != 0) return Errno("stat", source);
  if (S_ISDIR(info.st_mode)) {
    if (absl::Status made = MakeDirs(target); !made.ok()) return made;
  } else {
    if (absl::Status made = MakeDirs(target.substr(0, target.rfind('/'))); !made.ok()) return made;
    int fd = ::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0444);
    if (fd < 0) return Errno("open", target);
    ::close(fd);
  }
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return Errno("mount(MS_BIND)", source);
  }
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | (device ? 0 : MS_NODEV);
  if (::mount(nullptr, target.c_str(), nullptr, flags, nullptr) != 0) {
    return Errno("mount(MS_REMOUNT|MS_RDONLY)", target);
  }
  return absl::OkStatus();
}

absl::Status MountProc(const std::string& target) {
  if (absl::Status made = MakeDirs(target); !made.ok()) return made;
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (::mount("proc", target.c_str(), "proc", flags, "hidepid=invisible") == 0) {
    return absl::OkStatus();
  }
  // Kernels before 5.8 know only the number.
  if (::mount("proc", target.c_str(), "proc", flags, "hidepid=2") != 0) {
    return Errno("mount(proc)", target);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> MappedFiles() {
  std::ifstream maps("/proc/self/maps");
  absl::btree_set<std::string> files;
  std::string line;
  while (std::getline(maps, line)) {
    std::size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    // memfds (the cache arena), deleted files and devices are not files to show.
    if (path.starts_with("/memfd:") || path.starts_with("/dev/") || path.ends_with(" (deleted)")) {
      continue;
    }
    files.insert(path);
  }
  return {files.begin(), files.end()};
}

absl::Status EnterMountView(const std::vector<std::string>& paths, std::string* how) {
  // Nothing done below may propagate back to the host's mounts.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return Errno("mount(MS_PRIVATE)", "/");
  }
  if (::mount("tmpfs", kStage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") != 0) {
    return Errno("mount(tmpfs)", kStage);
  }
  std::string stage_old = StrCat(kStage, kOldRoot);
  std::string stage_new = StrCat(kStage, kNewRoot);
  if (::mkdir(stage_old.c_str(), 0700) != 0) return Errno("mkdir", stage_old);
  if (::mkdir(stage_new.c_str(), 0755) != 0) return Errno("mkdir", stage_new);
  if (PivotRoot(kStage, stage_old.c_str()) != 0) return Errno("pivot_root", kStage);
  if (::chdir("/") != 0) return Errno("chdir", "/");
  if (::mount("tmpfs", kNewRoot, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") != 0) {
    return Errno("mount(tmpfs)", kNewRoot);
  }

  int bound = 0;
  for (const std::string& path : paths) {
    std::string target = StrCat(kNewRoot, path);
    if (absl::Status b = BindReadOnly(StrCat(kOldRoot, path), target, false); !b.ok()) return b;
    ++bound;
  }
  for (const char* device : kDevices) {
    if (absl::Status b = BindReadOnly(StrCat(kOldRoot, device), StrCat(kNewRoot, device), true);
        !b.ok()) {
      return b;
    }
  }
  if (absl::Status p = MountProc(StrCat(kNewRoot, "/proc")); !p.ok()) return p;
  if (::umount2(kOldRoot, MNT_DETACH) != 0) return Errno("umount2", kOldRoot);

  // The second pivot leaves the staging tmpfs stacked under the new root,
  // where unmounting it makes it unreachable.
  if (::chdir(kNewRoot) != 0) return Errno("chdir", kNewRoot);
  if (PivotRoot(".", ".") != 0) return Errno("pivot_root", kNewRoot);
  if (::umount2(".", MNT_DETACH) != 0) return Errno("umount2", "staging root");
  if (::chdir("/") != 0) return Errno("chdir", "/");
  if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
              nullptr) != 0) {
    return Errno("mount(MS_REMOUNT|MS_RDONLY)", "/");
  }
  *how = StrCat("pivot_root_", bound, "_paths_ro_proc_hidepid");
  return absl::OkStatus();
}

}  // namespace sluice::sandbox
