#include "broker/admin.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/strings.h"
#include "util/unique_fd.h"

namespace sluice::broker {

namespace {

constexpr std::size_t kMaxTokenFileBytes = 4096;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

absl::Status Unreadable(const std::string& path, std::string_view why) {
  return absl::InvalidArgumentError(StrCat("cannot use token file ", path, ": ", why));
}

// XXH3's secret for token digests: random per process, so a digest says
// nothing about the token to anyone outside this process, and nobody can
// choose a presented token whose digest starts like the real one's.
using DigestSecret = std::array<unsigned char, 192>;
static_assert(std::tuple_size_v<DigestSecret> >= XXH3_SECRET_SIZE_MIN);

DigestSecret RandomSecret() {
  DigestSecret secret;
  std::size_t filled = 0;
  while (filled < secret.size()) {
    ssize_t n = ::getrandom(secret.data() + filled, secret.size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();  // no safe way to compare tokens
    }
    filled += static_cast<std::size_t>(n);
  }
  return secret;
}

XXH128_canonical_t Digest(std::string_view text) {
  static const DigestSecret secret = RandomSecret();
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(
      &canonical, XXH3_128bits_withSecret(text.data(), text.size(), secret.data(), secret.size()));
  return canonical;
}

}  // namespace

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Unreadable(path, std::strerror(errno));
  std::string contents;
  char buffer[1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unreadable(path, std::strerror(errno));
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<std::size_t>(n));
    if (contents.size() > kMaxTokenFileBytes) return Unreadable(path, "longer than 4 KiB");
  }
  std::string_view token = Trim(contents);
  if (token.empty()) return Unreadable(path, "it is empty");
  return std::string(token);
}

bool BearerTokenMatches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() < kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), authorization.begin(),
                  [](char a, char b) { return (a | 0x20) == (b | 0x20); })) {
    return false;
  }
  std::string_view presented = Trim(authorization.substr(kScheme.size()));
  // Fixed-size digests are compared, every byte whatever matched before:
  // neither where the presented token differs nor the real token's length
  // shows in the time taken (hashing the real token takes the same time on
  // every call, and hashing the presented one depends only on itself).
  XXH128_canonical_t a = Digest(presented);
  XXH128_canonical_t b = Digest(token);
  volatile unsigned char difference = 0;
  for (std::size_t i = 0; i < sizeof(a.digest); ++i) {
    difference = difference | (a.digest[i] ^ b.digest[i]);
  }
  return difference == 0 && !token.empty();
}

}  // namespace sluice::broker
