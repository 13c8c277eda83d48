// `sluice serve --config FILE`, `sluice check-config FILE` and SIGHUP's
// re-read: the input is the file (a memfd, opened by name through
// /proc/self/fd as LoadConfigFile opens any file), parsed by toml++ and
// checked against the settings table; then what check-config prints and
// what SIGHUP compares (DiffSettings) is computed from the result.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "broker/config_file.h"
#include "broker/options.h"
#include "broker/settings.h"
#include "util/log.h"
#include "util/strings.h"
#include "util/unique_fd.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  using namespace sluice::broker;
  UniqueFd file(::memfd_create("fuzz-config.toml", MFD_CLOEXEC));
  if (!file.valid()) std::abort();
  for (std::size_t written = 0; written < size;) {
    ssize_t n = ::write(file.get(), data + written, size - written);
    if (n <= 0) std::abort();
    written += static_cast<std::size_t>(n);
  }
  const std::string path = StrCat("/proc/self/fd/", file.get());
  ServeOptions options;
  if (absl::Status loaded = LoadConfigFile(path, &options); !loaded.ok()) {
    // Every error is one line naming the file.
    if (!ToStd(loaded.message()).starts_with(path)) std::abort();
    return 0;
  }
  const ServeOptions defaults;
  for (const Setting& setting : Settings()) {
    // What was parsed reads back as a value that parses to the same.
    std::string shown = setting.show(options);
    if (setting.type == TomlType::kStringArray || setting.type == TomlType::kBoolean) continue;
    ServeOptions again;
    if (absl::Status reparsed = setting.parse(shown, &again); !reparsed.ok()) continue;
    if (setting.show(again) != shown) std::abort();
  }
  DiffSettings(defaults, options);
  DiffSettings(options, defaults);
  return 0;
}
