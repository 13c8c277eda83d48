// `sluice sessions list|end ID [--url URL] --token-file FILE`: the admin
// session calls (GET /admin/sessions, DELETE /admin/sessions/ID) from a
// shell, with the admin bearer token.
#pragma once

#include <string>
#include <vector>

namespace sluice::broker {

// Text of `sluice sessions --help`.
extern const char kSessionsUsage[];

// Runs the command (`args` are those after `sessions`). `list` prints the
// server's JSON answer; `end` prints "ended session ID". Returns 0, 2 for a
// usage error (bad flags, unreadable token file) or 1 when the server could
// not be reached or refused (an unknown session id included).
int RunSessionsCommand(const std::vector<std::string>& args);

}  // namespace sluice::broker
