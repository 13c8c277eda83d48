// Looking for a secret (an uploaded file's random marker, say) where it must
// not be: in another process's memory, in files on disk, behind a process's
// open descriptors. Reading another process's memory needs ptrace access to
// it (root, or the same user while it is dumpable).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sluice::testing {

// Whether `needle` occurs anywhere in the readable, resident memory of `pid`
// (every mapping /proc/PID/smaps lists with Rss > 0, up to 64 GiB each; the
// sanitizers' shadow reservations are larger and hold no data). Fails if the
// process's memory cannot be read at all.
absl::StatusOr<bool> MemoryContains(pid_t pid, std::string_view needle);

// Regular files under `roots` (recursively, not following symlinks to
// directories) modified at or after `since` that contain `needle`.
// Unreadable entries are skipped.
std::vector<std::string> FilesContaining(const std::vector<std::filesystem::path>& roots,
                                         std::filesystem::file_time_type since,
                                         std::string_view needle);

// What `pid`'s open descriptors lead to (files, memfds, deleted files) that
// contains `needle`, as "fd N -> target". Sockets and pipes are skipped.
std::vector<std::string> OpenFilesContaining(pid_t pid, std::string_view needle);

}  // namespace sluice::testing
