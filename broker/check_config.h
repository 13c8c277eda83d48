// `sluice check-config FILE`: checks a config file (and the secrets file it
// implies) the way `sluice serve --config FILE` would, without serving.
#pragma once

#include <string>
#include <vector>

namespace sluice::broker {

// Prints one "FILE: ok ..." line on stdout and returns 0, or prints the
// first error on stderr and returns 2. Starts no process. `args` are the
// arguments after `check-config`.
int RunCheckConfig(const std::vector<std::string>& args);

}  // namespace sluice::broker
