#include "runtime/widget_registry.h"

#include <cctype>
#include <cmath>
#include <stdexcept>

#include "util/strings.h"

namespace sluice::runtime {

namespace {

// UTF-8 code points, counted as bytes that do not continue a sequence.
std::size_t CountCodePoints(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

}  // namespace

std::string_view WidgetKindName(WidgetKind kind) {
  switch (kind) {
    case WidgetKind::kButton:
      return "button";
    case WidgetKind::kCheckbox:
      return "checkbox";
    case WidgetKind::kSlider:
      return "slider";
    case WidgetKind::kNumberInput:
      return "number_input";
    case WidgetKind::kTextInput:
      return "text_input";
    case WidgetKind::kSelectbox:
      return "selectbox";
    case WidgetKind::kRadio:
      return "radio";
    case WidgetKind::kFileUploader:
      return "file_uploader";
  }
  return "widget";
}

bool TypeAccepted(const std::vector<std::string>& types, std::string_view name) {
  if (types.empty()) return true;
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string& type : types) {
    if (lower.size() > type.size() && lower.ends_with(type)) return true;
  }
  return false;
}

std::any StateValueOf(const WidgetSpec& spec, const WidgetInput& input) {
  switch (spec.kind) {
    case WidgetKind::kButton:
      return true;
    case WidgetKind::kCheckbox:
      return std::get<bool>(input);
    case WidgetKind::kSlider:
    case WidgetKind::kNumberInput: {
      double number = std::get<double>(input);
      if (spec.integer) return static_cast<std::int64_t>(number);
      return number;
    }
    case WidgetKind::kTextInput:
      return std::get<std::string>(input);
    case WidgetKind::kSelectbox:
    case WidgetKind::kRadio:
      return spec.options.at(std::get<OptionIndex>(input).index);
    case WidgetKind::kFileUploader:
      break;  // its value is the files, which the session keeps
  }
  return {};
}

void WidgetRegistry::BeginRun() {
  current_.clear();
  ordinals_.clear();
}

std::string WidgetRegistry::Register(std::string_view label, WidgetSpec spec) {
  std::string id;
  if (!spec.key.empty()) {
    id = StrCat("key:", spec.key);
    if (current_.contains(id)) {
      throw std::invalid_argument(
          StrCat("two widgets use the key '", spec.key, "' in one run; keys must be unique"));
    }
  } else {
    std::string base = StrCat(WidgetKindName(spec.kind), ":", label);
    int ordinal = ordinals_[base]++;
    id = StrCat(base, ":", ordinal);
  }
  current_.insert_or_assign(id, std::move(spec));
  return id;
}

void WidgetRegistry::FinishRun() {
  for (auto it = values_.begin(); it != values_.end();) {
    auto next = std::next(it);
    if (!current_.contains(it->first)) values_.erase(it);
    it = next;
  }
  // Moved, not copied: every rerun would otherwise copy each spec's options
  // and callback. Until the next BeginRun, Find() reads previous_.
  previous_ = std::move(current_);
  current_.clear();
  clicked_.clear();
}

void WidgetRegistry::UseUpShownClicks() {
  for (auto it = clicked_.begin(); it != clicked_.end();) {
    auto next = std::next(it);
    if (current_.contains(*it)) clicked_.erase(it);
    it = next;
  }
}

const WidgetSpec* WidgetRegistry::Find(std::string_view id) const {
  if (auto it = current_.find(ToAbsl(id)); it != current_.end()) return &it->second;
  if (auto it = previous_.find(ToAbsl(id)); it != previous_.end()) return &it->second;
  return nullptr;
}

absl::StatusOr<const WidgetSpec*> WidgetRegistry::Validate(std::string_view id,
                                                           const WidgetInput& value) const {
  const WidgetSpec* spec = Find(id);
  if (spec == nullptr) return absl::NotFoundError(StrCat("unknown widget '", id, "'"));
  auto mismatch = [&] {
    return absl::InvalidArgumentError(
        StrCat("wrong value type for ", WidgetKindName(spec->kind), " '", id, "'"));
  };
  switch (spec->kind) {
    case WidgetKind::kButton:
      if (!std::holds_alternative<Clicked>(value)) return mismatch();
      break;
    case WidgetKind::kCheckbox:
      if (!std::holds_alternative<bool>(value)) return mismatch();
      break;
    case WidgetKind::kSlider:
    case WidgetKind::kNumberInput: {
      const double* number = std::get_if<double>(&value);
      if (number == nullptr) return mismatch();
      if (!std::isfinite(*number) || *number < spec->min_value || *number > spec->max_value) {
        return absl::OutOfRangeError(StrCat("value ", *number, " is outside [", spec->min_value,
                                            ", ", spec->max_value, "] for '", id, "'"));
      }
      if (spec->integer && std::trunc(*number) != *number) {
        return absl::InvalidArgumentError(StrCat("'", id, "' takes whole numbers"));
      }
      break;
    }
    case WidgetKind::kTextInput: {
      const std::string* text = std::get_if<std::string>(&value);
      if (text == nullptr) return mismatch();
      if (spec->max_chars != 0 && CountCodePoints(*text) > spec->max_chars) {
        return absl::OutOfRangeError(
            StrCat("text for '", id, "' is longer than ", spec->max_chars, " characters"));
      }
      break;
    }
    case WidgetKind::kSelectbox:
    case WidgetKind::kRadio: {
      const OptionIndex* index = std::get_if<OptionIndex>(&value);
      if (index == nullptr) return mismatch();
      if (index->index < 0 || static_cast<std::size_t>(index->index) >= spec->options.size()) {
        return absl::OutOfRangeError(
            StrCat("option ", index->index, " does not exist for '", id, "'"));
      }
      break;
    }
    case WidgetKind::kFileUploader:
      if (!std::holds_alternative<RemoveFile>(value)) return mismatch();
      break;
  }
  return spec;
}

const WidgetInput* WidgetRegistry::Value(std::string_view id) const {
  auto it = values_.find(ToAbsl(id));
  return it == values_.end() ? nullptr : &it->second;
}

void WidgetRegistry::SetValue(std::string_view id, WidgetInput value) {
  values_.insert_or_assign(std::string(id), std::move(value));
}

}  // namespace sluice::runtime
