#include "runtime/secrets.h"

#include <string.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/strings.h"

namespace sluice::runtime {

namespace {

// The largest secrets file read: secrets are short; anything bigger is a
// wrong file.
constexpr std::size_t kMaxSecretsBytes = 1 << 20;

st::Secrets::Map& Installed() {
  static st::Secrets::Map* values = new st::Secrets::Map();  // never destroyed: workers _exit
  return *values;
}

// Wipes the file's text once parsed, so fewer copies of the secrets linger
// in memory that every worker inherits.
struct Wiped {
  std::string text;
  ~Wiped() { ::explicit_bzero(text.data(), text.size()); }
};

absl::Status Flatten(const toml::table& table, const std::string& prefix, std::string_view source,
                     st::Secrets::Map* out) {
  for (auto&& [key, node] : table) {
    // Keys are joined with dots ("db.password"): an empty or dotted key of
    // its own ("" or "db.password" quoted) would be no name, or would
    // collide with one from a table.
    if (key.str().empty() || key.str().find('.') != std::string_view::npos) {
      std::string in = prefix.empty() ? std::string() : StrCat(prefix, ": ");
      return absl::InvalidArgumentError(StrCat(
          source, ":", key.source().begin.line, ": ", in,
          "a key is empty or holds a dot; name secrets with bare keys and group them in tables"));
    }
    std::string name = prefix.empty() ? std::string(key.str()) : StrCat(prefix, ".", key.str());
    if (const toml::table* inner = node.as_table()) {
      if (absl::Status flattened = Flatten(*inner, name, source, out); !flattened.ok()) {
        return flattened;
      }
      continue;
    }
    const auto* text = node.as_string();
    if (text == nullptr) {
      return absl::InvalidArgumentError(StrCat(source, ":", node.source().begin.line, ": ", name,
                                               ": every secret must be a string; quote it"));
    }
    (*out)[name] = text->get();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<st::Secrets::Map> ReadSecrets(int fd, std::string_view source) {
  Wiped file;
  file.text.resize(kMaxSecretsBytes + 1);
  std::size_t filled = 0;
  while (filled < file.text.size()) {
    ssize_t n = ::pread(fd, file.text.data() + filled, file.text.size() - filled,
                        static_cast<off_t>(filled));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(StrCat(source, ": read: ", std::strerror(errno)));
    if (n == 0) break;
    filled += static_cast<std::size_t>(n);
  }
  if (filled > kMaxSecretsBytes) {
    return absl::InvalidArgumentError(StrCat(source, ": larger than 1 MiB; not a secrets file?"));
  }
  st::Secrets::Map values;
  try {
    toml::table table = toml::parse(std::string_view(file.text.data(), filled));
    if (absl::Status flattened = Flatten(table, "", source, &values); !flattened.ok()) {
      return flattened;
    }
  } catch (const toml::parse_error& error) {
    // toml++'s description may quote the text around the error: a secret.
    return absl::InvalidArgumentError(StrCat(source, ":", error.source().begin.line, ":",
                                             error.source().begin.column,
                                             ": not valid TOML (details withheld: they could "
                                             "quote a secret)"));
  }
  return values;
}

void InstallSecrets(st::Secrets::Map values) { Installed() = std::move(values); }

}  // namespace sluice::runtime

namespace st {

const Secrets& secrets() {
  static const Secrets view(&sluice::runtime::Installed());
  return view;
}

}  // namespace st
