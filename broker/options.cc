#include "broker/options.h"

#include <filesystem>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "broker/config_file.h"
#include "broker/settings.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

absl::Status Bad(std::string_view flag, std::string_view why) {
  return absl::InvalidArgumentError(StrCat(flag, ": ", why));
}

// The value of `--config FILE` or `--config=FILE` in `args`, if any.
absl::StatusOr<std::string> ConfigFileIn(const std::vector<std::string>& args) {
  std::string file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config") {
      if (i + 1 >= args.size()) return Bad("--config", "needs a value");
      file = args[++i];
    } else if (absl::StartsWith(args[i], "--config=")) {
      file = args[i].substr(9);
    }
  }
  return file;
}

}  // namespace

bool ParseByteSize(std::string_view text, std::uint64_t* bytes) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 19) return false;
  std::uint64_t number = 0;
  if (!absl::SimpleAtoi(ToAbsl(text.substr(0, digits)), &number)) return false;
  std::string_view suffix = text.substr(digits);
  int shift = 0;
  if (suffix.empty()) {
    shift = 0;
  } else if (suffix == "K" || suffix == "KiB") {
    shift = 10;
  } else if (suffix == "M" || suffix == "MiB") {
    shift = 20;
  } else if (suffix == "G" || suffix == "GiB") {
    shift = 30;
  } else {
    return false;
  }
  if (shift > 0 && number > (std::numeric_limits<std::uint64_t>::max() >> shift)) return false;
  *bytes = number << shift;
  return true;
}

std::string ServeUsage() {
  return StrCat(R"(usage: sluice serve APP.so [flags]
       sluice serve --config FILE [APP.so] [flags]

Serves the app in APP.so (built with sluice_add_app) over HTTP and WebSocket.
Every browser tab gets its own worker process, forked from a zygote that
loaded the app once.

Every flag below is also a key of the --config file (without the dashes:
workers = 64, cache-size = "512M", allow-read = ["/data"]); flags override
the file. SIGHUP re-reads the file and applies the settings marked so.

flags:
  --config FILE            read settings from this TOML file first; check
                           one with `sluice check-config FILE`
)",
                SettingsUsage(), "  --help                   this text\n");
}

void ResolveSecretsFile(ServeOptions* options) {
  if (!options->secrets_file.empty() || options->config_file.empty()) return;
  std::filesystem::path beside =
      std::filesystem::absolute(options->config_file).parent_path() / "secrets.toml";
  std::error_code error;
  if (std::filesystem::exists(beside, error)) options->secrets_file = beside.string();
}

absl::StatusOr<ServeOptions> ParseServeOptions(const std::vector<std::string>& args) {
  ServeOptions options;
  absl::StatusOr<std::string> config_file = ConfigFileIn(args);
  if (!config_file.ok()) return config_file.status();
  if (!config_file->empty()) {
    if (absl::Status loaded = LoadConfigFile(*config_file, &options); !loaded.ok()) return loaded;
    options.config_file = *config_file;
  }
  bool have_app = false;
  absl::flat_hash_set<std::string_view> repeated;  // repeatable flags seen on the command line
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (!absl::StartsWith(arg, "--")) {
      if (have_app) return Bad(arg, "only one app library may be served");
      options.app_path = arg;
      have_app = true;
      continue;
    }
    std::string name = arg;
    std::string value;
    bool inline_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    const Setting* setting = FindSetting(std::string_view(name).substr(2));
    if (!inline_value && setting != nullptr && setting->type == TomlType::kBoolean) {
      value = "true";  // a switch takes no value
    } else if (!inline_value) {
      if (i + 1 >= args.size()) {
        if (name != "--config" && FindSetting(std::string_view(name).substr(2)) == nullptr) {
          return Bad(name, "unknown flag (see sluice serve --help)");
        }
        return Bad(name, "needs a value");
      }
      value = args[++i];
    }
    if (name == "--config") continue;  // read above
    if (setting == nullptr) return Bad(name, "unknown flag (see sluice serve --help)");
    // A repeatable flag replaces the config file's list, not adds to it.
    if (setting->repeatable && repeated.insert(setting->name).second) {
      setting->copy(ServeOptions{}, &options);
    }
    if (absl::Status parsed = setting->parse(value, &options); !parsed.ok()) {
      return Bad(name, ToStd(parsed.message()));
    }
    if (setting->name == "app") have_app = true;
  }
  if (options.app_path.empty()) {
    return absl::InvalidArgumentError("missing the app library: sluice serve APP.so");
  }
  ResolveSecretsFile(&options);
  if (options.prefork > options.workers) options.prefork = options.workers;
  return options;
}

}  // namespace sluice::broker
