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

// Whether an Authorization header value is "Bearer <token>" (the scheme in
// any case, spaces around the token ignored); never for an empty `token`.
// It compares XXH3-128 digests of both under a random per-process secret,
// in constant time: the time it takes depends neither on where the
// presented token differs from `token` nor on `token`'s length.
// Thread-safe.
bool BearerTokenMatches(std::string_view authorization, std::string_view token);

}  // namespace sluice::broker
