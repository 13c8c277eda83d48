#include "broker/check_config.h"

#include <cstdio>

#include "absl/strings/str_join.h"
#include "broker/config_file.h"
#include "broker/options.h"
#include "broker/secrets_file.h"
#include "broker/settings.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

constexpr char kUsage[] = R"(usage: sluice check-config FILE

Checks a `sluice serve --config` file: TOML syntax, that every key is a
setting (see sluice serve --help), each value's type and range, and the
secrets file it names or that sits beside it (permissions and syntax; no
secret is printed). Prints one line: "FILE: ok ..." (exit 0) or the first
error (exit 2). Starts nothing.
)";

int Fail(std::string_view message) {
  std::fprintf(stderr, "sluice check-config: %.*s\n", static_cast<int>(message.size()),
               message.data());
  return 2;
}

}  // namespace

int RunCheckConfig(const std::vector<std::string>& args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args.size() != 1) return Fail("expected one config file (see sluice check-config --help)");
  ServeOptions options;
  if (absl::Status loaded = LoadConfigFile(args[0], &options); !loaded.ok()) {
    return Fail(ToStd(loaded.message()));
  }
  options.config_file = args[0];
  ResolveSecretsFile(&options);
  std::string secrets = "no secrets file";
  if (!options.secrets_file.empty()) {
    absl::StatusOr<SecretsFile> file = OpenSecretsFile(options.secrets_file, options.allow_read);
    if (!file.ok()) return Fail(ToStd(file.status().message()));
    secrets = StrCat("secrets ", options.secrets_file, " (", file->keys, " keys)");
  }
  const ServeOptions defaults;
  std::vector<std::string> set;
  for (const Setting& setting : Settings()) {
    if (setting.show(options) != setting.show(defaults)) set.emplace_back(setting.name);
  }
  std::printf("%s: ok (%zu settings differ from the defaults%s%s; %s)\n", args[0].c_str(),
              set.size(), set.empty() ? "" : ": ", absl::StrJoin(set, ", ").c_str(),
              secrets.c_str());
  return 0;
}

}  // namespace sluice::broker
