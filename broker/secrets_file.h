// The broker's side of the secrets file (include/sluice/secrets.hpp): it
// opens and checks the file before anything starts, then hands the open
// descriptor to the zygote, which reads it before loading the app and
// closes it before forking any worker. The broker keeps no secret in memory.
//
// Why the broker opens it rather than the zygote by name: a bad file is
// then refused like a bad flag (one line, exit 2, before any process
// starts); the checked file is the read file (no race between the
// permission check and the read); and the zygote, which at --sandbox=strict
// lives in its own mount namespace, needs no path at all.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sandbox/level.h"
#include "util/unique_fd.h"

namespace sluice::broker {

struct SecretsFile {
  UniqueFd fd;  // O_RDONLY | O_CLOEXEC
  std::size_t keys = 0;
};

// Opens `path` and refuses (one line, naming the file): a file that is not
// regular, one every user may read (mode o+r: at the standard level that
// includes every worker's own uid), one that is not valid secrets TOML, and
// one that an `allow_read` path would show workers at the strict level.
absl::StatusOr<SecretsFile> OpenSecretsFile(const std::string& path,
                                            const std::vector<std::string>& allow_read);

// Logs a warning where the workers at `level` can still open the file
// themselves: without root (standard: they share the broker's uid) or with
// the sandbox off.
void WarnIfWorkersCanOpen(const std::string& path, sandbox::Level level);

}  // namespace sluice::broker
