// The secrets file (include/sluice/secrets.hpp) inside sluice: read from a
// descriptor the broker opened, flattened to dotted keys, and kept in the
// zygote's memory, which every worker inherits. The broker uses the same
// reader to check the file before anything starts.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "sluice/secrets.hpp"

namespace sluice::runtime {

// Reads the whole of `fd` (from offset 0, with pread, so the descriptor's
// offset is left alone) and parses it. Errors name `source` and a line but
// never quote the file's text, which holds the secrets: not valid TOML, a
// value that is not a string, an array.
absl::StatusOr<st::Secrets::Map> ReadSecrets(int fd, std::string_view source);

// Makes `values` what st::secrets() returns in this process and its future
// children. Call once, before any worker is forked (single-threaded).
void InstallSecrets(st::Secrets::Map values);

}  // namespace sluice::runtime
