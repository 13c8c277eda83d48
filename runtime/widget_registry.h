// The widgets of the current and the last finished run: how they are named,
// what values they accept, and the values of widgets without a key (keyed
// widgets keep theirs in session_state). Changes from the page are checked
// here before they touch any state.
#pragma once

#include <any>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/channel.h"
#include "sluice/widgets.hpp"
#include "util/strings.h"

namespace sluice::runtime {

enum class WidgetKind {
  kButton,
  kCheckbox,
  kSlider,
  kNumberInput,
  kTextInput,
  kSelectbox,
  kRadio,
  kFileUploader,
};

std::string_view WidgetKindName(WidgetKind kind);

struct WidgetSpec {
  WidgetKind kind;
  std::string key;  // empty: value kept here, not in session_state
  double min_value = 0;
  double max_value = 0;
  bool integer = false;
  std::vector<std::string> options;  // selectbox, radio
  std::size_t max_chars = 0;
  std::vector<std::string> types;  // file_uploader: ".csv", lower case; empty: any
  std::uint64_t max_bytes = 0;     // file_uploader: per file
  bool multiple = false;           // file_uploader
  st::Callback callback;
};

// Whether `name` has one of the extensions in `types` (".csv", lower
// case); every name passes an empty list.
bool TypeAccepted(const std::vector<std::string>& types, std::string_view name);

// What a keyed widget keeps in session_state for a value the viewer sent
// (see widgets.hpp): bool, std::int64_t, double or std::string. `input`
// must have passed WidgetRegistry::Validate for `spec`.
std::any StateValueOf(const WidgetSpec& spec, const WidgetInput& input);

class WidgetRegistry {
 public:
  // Starts a run's widget list; the last finished run's stays valid for changes.
  void BeginRun();
  // Adds a widget of this run and returns its id. Throws
  // std::invalid_argument for a key used twice in one run.
  std::string Register(std::string_view label, WidgetSpec spec);
  // Ends a finished run: its widgets become the ones changes are checked
  // against, values of unkeyed widgets it did not show are dropped, and
  // button clicks are used up.
  void FinishRun();

  // Checks a viewer's change against the widget's spec; the spec on success.
  absl::StatusOr<const WidgetSpec*> Validate(std::string_view id, const WidgetInput& value) const;
  // The spec of a widget of this run or the last finished one.
  const WidgetSpec* Find(std::string_view id) const;
  // Whether the last finished run showed the widget `id`.
  bool ShownInLastRun(std::string_view id) const { return previous_.contains(ToAbsl(id)); }

  // Value storage for widgets without a key.
  const WidgetInput* Value(std::string_view id) const;
  void SetValue(std::string_view id, WidgetInput value);

  void MarkClicked(std::string_view id) { clicked_.insert(std::string(id)); }
  bool WasClicked(std::string_view id) const { return clicked_.contains(ToAbsl(id)); }
  // Uses up the clicks of buttons this run has already shown, for a run that
  // ends early (st::rerun(), a newer change): the run after it does not act
  // on those clicks again. Clicks of buttons it did not reach stay.
  void UseUpShownClicks();

 private:
  absl::flat_hash_map<std::string, WidgetSpec> current_;
  absl::flat_hash_map<std::string, WidgetSpec> previous_;
  absl::flat_hash_map<std::string, int> ordinals_;  // kind+label -> count this run
  absl::flat_hash_map<std::string, WidgetInput> values_;
  absl::flat_hash_set<std::string> clicked_;
};

}  // namespace sluice::runtime
