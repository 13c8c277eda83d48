// The secrets file (--secrets, or secrets.toml beside the config file):
// the input is the file, read through a descriptor the way the broker
// checks it (OpenSecretsFile) and the zygote loads it, by
// runtime::ReadSecrets: toml++, then flattened to dotted keys. An error
// must never quote the file, which holds the secrets.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "runtime/secrets.h"
#include "util/unique_fd.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  UniqueFd fd(::memfd_create("fuzz-secrets.toml", MFD_CLOEXEC));
  if (!fd) std::abort();
  for (std::size_t written = 0; written < size;) {
    ssize_t n = ::write(fd.get(), data + written, size - written);
    if (n <= 0) std::abort();
    written += static_cast<std::size_t>(n);
  }
  auto secrets = runtime::ReadSecrets(fd.get(), "secrets.toml");
  if (!secrets.ok()) {
    // A syntax error says where, never what: exactly
    // "secrets.toml:LINE:COLUMN: not valid TOML (details withheld: ...)",
    // with nothing of the file in it (the file holds secrets).
    std::string_view message(secrets.status().message().data(), secrets.status().message().size());
    constexpr std::string_view kSource = "secrets.toml:";
    constexpr std::string_view kSyntax =
        ": not valid TOML (details withheld: they could quote a secret)";
    if (!message.ends_with(kSyntax)) return 0;  // a value that is not a string: names its key
    if (!message.starts_with(kSource)) std::abort();
    std::string_view where = message.substr(kSource.size());
    where.remove_suffix(kSyntax.size());
    if (where.find_first_not_of("0123456789:") != std::string_view::npos ||
        std::count(where.begin(), where.end(), ':') != 1) {
      std::abort();
    }
    return 0;
  }
  for (const auto& [key, value] : *secrets) {
    if (key.empty()) std::abort();
  }
  return 0;
}
