#include "broker/config_file.h"

#include <toml++/toml.h>

#include <filesystem>

#include "broker/settings.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date or time";
  }
}

std::string_view Expected(TomlType type) {
  switch (type) {
    case TomlType::kString:
      return "a string";
    case TomlType::kInteger:
      return "an integer";
    case TomlType::kIntegerOrString:
      return "an integer or a string like \"512M\"";
    case TomlType::kStringArray:
      return "an array of strings";
    case TomlType::kBoolean:
      return "true or false";
  }
  return "";
}

// "FILE:LINE: KEY: why".
absl::Status At(const std::string& path, const toml::source_region& where, std::string_view key,
                std::string_view why) {
  return absl::InvalidArgumentError(StrCat(path, ":", where.begin.line, ": ", key, ": ", why));
}

// A scalar's value as the text its flag would take.
bool ScalarText(const toml::node& node, TomlType type, std::string* text) {
  if (const auto* b = node.as_boolean()) {
    if (type != TomlType::kBoolean) return false;
    *text = b->get() ? "true" : "false";
    return true;
  }
  if (const auto* s = node.as_string();
      s && (type == TomlType::kString || type == TomlType::kIntegerOrString)) {
    *text = s->get();
    return true;
  }
  if (const auto* i = node.as_integer();
      i && (type == TomlType::kInteger || type == TomlType::kIntegerOrString)) {
    *text = StrCat(i->get());
    return true;
  }
  return false;
}

}  // namespace

absl::Status LoadConfigFile(const std::string& path, ServeOptions* options) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    const toml::source_region& where = error.source();
    if (where.begin.line == 0) {  // not opened, so no position
      return absl::InvalidArgumentError(StrCat(path, ": ", error.description()));
    }
    return absl::InvalidArgumentError(
        StrCat(path, ":", where.begin.line, ":", where.begin.column, ": ", error.description()));
  }
  std::filesystem::path directory = std::filesystem::absolute(path).parent_path();
  auto resolve = [&](const Setting& setting, std::string text) {
    if (!setting.is_path || text.empty() || text.front() == '/') return text;
    return (directory / text).lexically_normal().string();
  };
  for (auto&& [key, node] : table) {
    const Setting* setting = FindSetting(key.str());
    if (setting == nullptr) {
      return At(path, key.source(), key.str(), "unknown key (see sluice serve --help)");
    }
    std::vector<std::pair<std::string, toml::source_region>> values;
    if (setting->type == TomlType::kStringArray) {
      const toml::array* array = node.as_array();
      if (array == nullptr) {
        return At(path, node.source(), key.str(),
                  StrCat("expected ", Expected(setting->type), ", got ", TypeName(node)));
      }
      for (const toml::node& element : *array) {
        const auto* text = element.as_string();
        if (text == nullptr) {
          return At(path, element.source(), key.str(),
                    StrCat("expected ", Expected(setting->type), ", got an array holding ",
                           TypeName(element)));
        }
        values.emplace_back(text->get(), element.source());
      }
    } else {
      std::string text;
      if (!ScalarText(node, setting->type, &text)) {
        return At(path, node.source(), key.str(),
                  StrCat("expected ", Expected(setting->type), ", got ", TypeName(node)));
      }
      values.emplace_back(std::move(text), node.source());
    }
    if (setting->repeatable) setting->copy(ServeOptions{}, options);  // the file's list replaces
    for (auto& [text, where] : values) {
      if (absl::Status parsed = setting->parse(resolve(*setting, std::move(text)), options);
          !parsed.ok()) {
        return At(path, where, key.str(), ToStd(parsed.message()));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace sluice::broker
