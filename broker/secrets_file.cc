#include "broker/secrets_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "runtime/secrets.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

// True if `path` is `dir` or inside it (both canonical).
bool Inside(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

}  // namespace

absl::StatusOr<SecretsFile> OpenSecretsFile(const std::string& path,
                                            const std::vector<std::string>& allow_read) {
  SecretsFile file;
  file.fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!file.fd.valid()) {
    return absl::InvalidArgumentError(StrCat("secrets file ", path, ": ", std::strerror(errno)));
  }
  struct stat info;
  if (::fstat(file.fd.get(), &info) != 0) {
    return absl::InternalError(StrCat("secrets file ", path, ": fstat: ", std::strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(StrCat("secrets file ", path, ": not a regular file"));
  }
  if ((info.st_mode & S_IROTH) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return absl::InvalidArgumentError(StrCat("secrets file ", path,
                                             ": readable by every user (mode ", mode,
                                             "); chmod 600 it (or 640 for a group)"));
  }
  std::error_code error;
  std::string canonical = std::filesystem::canonical(path, error).string();
  if (!error) {
    for (const std::string& dir : allow_read) {
      if (Inside(canonical, dir)) {
        return absl::InvalidArgumentError(
            StrCat("secrets file ", path, ": allow-read ", dir, " would show it to every worker"));
      }
    }
  }
  absl::StatusOr<st::Secrets::Map> secrets = runtime::ReadSecrets(file.fd.get(), path);
  if (!secrets.ok()) {
    return absl::InvalidArgumentError(StrCat("secrets file ", secrets.status().message()));
  }
  file.keys = secrets->size();
  return file;
}

void WarnIfWorkersCanOpen(const std::string& path, sandbox::Level level) {
  if (level == sandbox::Level::kStrict) return;  // outside the workers' mount view
  if (level == sandbox::Level::kStandard && ::geteuid() == 0) return;  // workers have their own uid
  LogWarning("secrets_file_open_to_workers",
             {{"path", path},
              {"sandbox", sandbox::LevelName(level)},
              {"why", level == sandbox::Level::kOff
                          ? "the sandbox is off: workers run as the broker's uid"
                          : "not root: workers share the broker's uid, so app code could open the "
                            "file; use --sandbox=strict or run as root"}});
}

}  // namespace sluice::broker
