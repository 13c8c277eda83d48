// The operator's admin endpoints: a bearer token read from a file at start
// (the same file `sluice cache clear --token-file` reads), checked in
// constant time.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sluice::broker {

// The token in `path`: the file's contents without surrounding whitespace.
// InvalidArgument, naming the file, if it cannot be read, is empty or is
// longer than 4 KiB.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// Whether an Authorization header value is "Bearer <token>". The time it
// takes does not depend on where the presented token differs from `token`.
bool BearerTokenMatches(std::string_view authorization, std::string_view token);

}  // namespace sluice::broker
