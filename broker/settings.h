// The one table of `sluice serve` settings. Every row is both a flag
// (--NAME VALUE) and a key of a --config file (NAME = VALUE); the table
// drives the flag parser, `sluice serve --help`, the config file's type
// checks, `sluice check-config`, and which settings SIGHUP applies live.
//
// Adding a setting:
//   1. add its field to ServeOptions (broker/options.h);
//   2. add one row to kSettings in broker/settings.cc: the name, the value's
//      name in --help, its TOML type, live or restart, whether it is a file
//      name, whether it repeats, one sentence of meaning, a parse function
//      (text -> field; the same for the flag and the file), and
//      SLUICE_FIELD(field) for the rest.
// A live row must also be honoured by Server::ApplyLiveSettings (a field the
// server reads when it next needs it is honoured for free).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "broker/options.h"

namespace sluice::broker {

// What a setting's value must be in a config file.
enum class TomlType {
  kString,
  kInteger,
  kIntegerOrString,  // sizes: 1073741824 or "1G"
  kStringArray,      // repeatable flags: allow-read = ["/data", "/models"]
  kBoolean,          // switches: a bare --watch on the command line, watch = true in a file
};

enum class Reload { kLive, kRestart };

struct Setting {
  std::string_view name;  // the flag without "--", and the config key
  std::string_view arg;   // the value's name in --help: N, SIZE, D, FILE; empty for a switch
  TomlType type;
  Reload reload;
  bool is_path;     // in a config file, relative to the file's directory
  bool repeatable;  // each flag (or array element) adds one value
  std::string_view meaning;
  std::string_view default_text;  // for --help; empty: show() of the defaults
  // Sets the field from `text`: a flag's value, or a config value as text.
  // The error is the reason only; callers prefix the flag or file and key.
  absl::Status (*parse)(std::string_view text, ServeOptions* options);
  // The field as text, to compare and to report (never a secret: secrets
  // are not settings, only the secrets file's name is).
  std::string (*show)(const ServeOptions& options);
  // Copies the field from one ServeOptions to another.
  void (*copy)(const ServeOptions& from, ServeOptions* to);
};

// Every row, in --help order.
absl::Span<const Setting> Settings();
// The row named `name` (no dashes); null if none.
const Setting* FindSetting(std::string_view name);

// Copies every live setting of `from` into `to`.
void CopyLiveSettings(const ServeOptions& from, ServeOptions* to);

// What differs between two parsed settings, by row: "name: old -> new".
struct SettingsDiff {
  std::vector<std::string> live;     // applied by SIGHUP
  std::vector<std::string> restart;  // need a restart to take effect
  std::vector<std::string> changes;  // "workers: 256 -> 64", one per changed row
};
SettingsDiff DiffSettings(const ServeOptions& before, const ServeOptions& after);

// The flags part of `sluice serve --help`, one entry per row.
std::string SettingsUsage();

}  // namespace sluice::broker
