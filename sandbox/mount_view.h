// The strict level's file system: in the zygote, after it loaded the app
// and before it forks, its view of the file system (its own mount
// namespace, sandbox/namespaces.h) is replaced by a read-only one with only
//   - the files it has mapped: the sluice binary, libsluice, the app and
//     every library they loaded (what the workers need to keep running),
//   - the operator's --allow-read paths,
//   - /dev/null, /dev/zero, /dev/random, /dev/urandom,
//   - a /proc of its own pid namespace, mounted hidepid=invisible: a worker
//     sees only processes of its own uid (itself).
// Nothing is writable. Every worker inherits the view.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace sluice::sandbox {

// Regular files the calling process has mapped, from /proc/self/maps.
std::vector<std::string> MappedFiles();

// Builds the view above with `paths` (files or directories; absolute and
// canonical: links are not followed) and moves the calling process into it. REQUIRES: its own mount
// namespace, and its own pid namespace for the /proc mount. `how` lists what was bound.
absl::Status EnterMountView(const std::vector<std::string>& paths, std::string* how);

}  // namespace sluice::sandbox
