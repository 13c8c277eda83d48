#include "broker/admin.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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
  // Every byte of the longer string is looked at, whatever matched before.
  std::size_t length = std::max(presented.size(), token.size());
  volatile unsigned char difference = presented.size() == token.size() ? 0 : 1;
  for (std::size_t i = 0; i < length; ++i) {
    unsigned char a = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
    unsigned char b = i < token.size() ? static_cast<unsigned char>(token[i]) : 0;
    difference = difference | (a ^ b);
  }
  return difference == 0 && !token.empty();
}

}  // namespace sluice::broker
