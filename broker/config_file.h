// `sluice serve --config FILE` and `sluice check-config FILE`: a TOML file
// whose keys are the rows of the settings table (broker/settings.h), e.g.
//
//   workers = 64
//   cache-size = "512M"
//   allow-read = ["/data"]
#pragma once

#include <string>

#include "absl/status/status.h"
#include "broker/options.h"

namespace sluice::broker {

// Sets the fields of `options` that the file at `path` names; the others
// are left as they are. Relative file names in the file are taken relative
// to the file's directory. Every error is one InvalidArgument line naming
// the file and line (and the key): a TOML syntax error, an unknown key, a
// value of the wrong TOML type, or one the setting refuses. On error
// `options` may be partly set.
absl::Status LoadConfigFile(const std::string& path, ServeOptions* options);

}  // namespace sluice::broker
