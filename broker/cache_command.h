// `sluice cache clear [--url URL] --token-file FILE`: asks a running
// server to clear its shared cache (POST /admin/cache/clear with the admin
// bearer token).
#pragma once

#include <string>
#include <vector>

namespace sluice::broker {

// Text of `sluice cache --help`.
extern const char kCacheUsage[];

// Runs the command (`args` are those after `cache`). Prints "cleared N
// cache entries" and returns 0, or prints one line on stderr and returns 2
// for a usage error (bad flags, unreadable token file) or 1 when the server
// could not be reached or refused.
int RunCacheCommand(const std::vector<std::string>& args);

}  // namespace sluice::broker
