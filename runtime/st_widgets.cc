// st:: widgets. Each call registers the widget for this run, reads its value
// (session_state for keyed widgets, the registry otherwise), shows it and
// returns the value.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "sluice/widgets.hpp"
#include "util/strings.h"

namespace st {

using sluice::ipc::Element;
using sluice::ipc::NewText;
using sluice::ipc::Widget;
using sluice::runtime::AppRunner;
using sluice::runtime::OptionIndex;
using sluice::runtime::WidgetInput;
using sluice::runtime::WidgetKind;
using sluice::runtime::WidgetSpec;

namespace {

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

// A keyed value in session_state as a number, if it holds one.
std::optional<double> NumberFromState(const std::any& value) {
  if (auto* v = std::any_cast<std::int64_t>(&value)) return static_cast<double>(*v);
  if (auto* v = std::any_cast<int>(&value)) return *v;
  if (auto* v = std::any_cast<long long>(&value)) return static_cast<double>(*v);
  if (auto* v = std::any_cast<unsigned>(&value)) return *v;
  if (auto* v = std::any_cast<double>(&value)) return *v;
  if (auto* v = std::any_cast<float>(&value)) return *v;
  return std::nullopt;
}

[[noreturn]] void WrongStateType(const std::string& key, std::string_view wanted) {
  throw StateTypeError(
      sluice::StrCat("session_state[\"", key, "\"] is bound to a widget and must hold ", wanted));
}

void FillWidget(Widget::Builder widget, const std::string& id, std::string_view label) {
  widget.adoptId(NewText(widget, id));
  widget.adoptLabel(NewText(widget, label));
}

std::string ChoiceWidget(WidgetKind kind, std::string_view label,
                         const std::vector<std::string>& options, int index,
                         const WidgetOptions& widget_options) {
  AppRunner& session = AppRunner::Current();
  session.CheckInterrupt();
  int size = static_cast<int>(options.size());
  if (size > 0 && (index < 0 || index >= size)) {
    throw std::invalid_argument(
        sluice::StrCat("index ", index, " is not an option of '", label, "'"));
  }
  WidgetSpec spec{.kind = kind,
                  .key = widget_options.key,
                  .options = options,
                  .callback = widget_options.on_change};
  std::string id = session.widgets().Register(label, std::move(spec));
  int selected = size == 0 ? -1 : index;
  if (!widget_options.key.empty()) {
    if (std::any* held = session.state().find(widget_options.key)) {
      const std::string* text = std::any_cast<std::string>(held);
      if (text == nullptr) WrongStateType(widget_options.key, "std::string");
      auto it = std::find(options.begin(), options.end(), *text);
      if (it != options.end()) selected = static_cast<int>(it - options.begin());
    }
    if (selected >= 0) session.state().assign(widget_options.key, options[selected]);
  } else if (const WidgetInput* stored = session.widgets().Value(id)) {
    if (auto* chosen = std::get_if<OptionIndex>(stored); chosen && chosen->index < size) {
      selected = chosen->index;
    }
  }
  session.Emit([&](Element::Builder e) {
    auto widget = e.initWidget();
    FillWidget(widget, id, label);
    auto choice = kind == WidgetKind::kRadio ? widget.initRadio() : widget.initSelectbox();
    auto list = choice.initOptions(static_cast<unsigned>(options.size()));
    for (unsigned i = 0; i < options.size(); ++i) list.adopt(i, NewText(list, options[i]));
    choice.setIndex(selected);
  });
  return selected >= 0 ? options[selected] : std::string();
}

}  // namespace

namespace detail {

double number_widget(std::string_view label, const NumberSpec& spec, const std::string& key,
                     const Callback& on_change) {
  AppRunner& session = AppRunner::Current();
  session.CheckInterrupt();
  if (!(spec.min_value <= spec.max_value)) {
    throw std::invalid_argument(
        sluice::StrCat("'", label, "': min_value must not exceed max_value"));
  }
  if (spec.bounded && (spec.value < spec.min_value || spec.value > spec.max_value)) {
    throw std::invalid_argument(sluice::StrCat("'", label, "': value ", spec.value, " is outside [",
                                               spec.min_value, ", ", spec.max_value, "]"));
  }
  if (spec.integer && spec.bounded &&
      (std::fabs(spec.min_value) > kMaxExactInteger ||
       std::fabs(spec.max_value) > kMaxExactInteger)) {
    throw std::invalid_argument(sluice::StrCat("'", label, "': integers must fit in +-2^53"));
  }
  double step = spec.step > 0 ? spec.step : (spec.integer ? 1.0 : 0.01);
  WidgetKind kind =
      spec.kind == NumberKind::kSlider ? WidgetKind::kSlider : WidgetKind::kNumberInput;
  WidgetSpec widget{.kind = kind,
                    .key = key,
                    .min_value = spec.min_value,
                    .max_value = spec.max_value,
                    .integer = spec.integer,
                    .callback = on_change};
  std::string id = session.widgets().Register(label, std::move(widget));

  double value = spec.value;
  if (!key.empty()) {
    if (std::any* held = session.state().find(key)) {
      std::optional<double> number = NumberFromState(*held);
      if (!number) WrongStateType(key, "a number");
      value = *number;
    }
  } else if (const WidgetInput* stored = session.widgets().Value(id)) {
    if (auto* number = std::get_if<double>(stored)) value = *number;
  }
  value = std::clamp(value, spec.min_value, spec.max_value);
  if (spec.integer) value = std::trunc(value);
  if (!key.empty()) {
    if (spec.integer) {
      session.state().assign(key, static_cast<std::int64_t>(value));
    } else {
      session.state().assign(key, value);
    }
  }

  session.Emit([&](Element::Builder e) {
    auto widget = e.initWidget();
    FillWidget(widget, id, label);
    auto range = kind == WidgetKind::kSlider ? widget.initSlider() : widget.initNumberInput();
    range.setValue(value);
    range.setMin(spec.min_value);
    range.setMax(spec.max_value);
    range.setStep(step);
    range.setInteger(spec.integer);
  });
  return value;
}

}  // namespace detail

bool button(std::string_view label, const ButtonOptions& options) {
  AppRunner& session = AppRunner::Current();
  session.CheckInterrupt();
  WidgetSpec spec{.kind = WidgetKind::kButton, .key = options.key, .callback = options.on_click};
  std::string id = session.widgets().Register(label, std::move(spec));
  bool clicked = session.widgets().WasClicked(id);
  if (!options.key.empty()) session.state().assign(options.key, clicked);
  session.Emit([&](Element::Builder e) {
    auto widget = e.initWidget();
    FillWidget(widget, id, label);
    widget.setButton();
  });
  return clicked;
}

bool checkbox(std::string_view label, bool value, const WidgetOptions& options) {
  AppRunner& session = AppRunner::Current();
  session.CheckInterrupt();
  WidgetSpec spec{.kind = WidgetKind::kCheckbox, .key = options.key, .callback = options.on_change};
  std::string id = session.widgets().Register(label, std::move(spec));
  if (!options.key.empty()) {
    if (std::any* held = session.state().find(options.key)) {
      const bool* checked = std::any_cast<bool>(held);
      if (checked == nullptr) WrongStateType(options.key, "bool");
      value = *checked;
    }
    session.state().assign(options.key, value);
  } else if (const WidgetInput* stored = session.widgets().Value(id)) {
    if (auto* checked = std::get_if<bool>(stored)) value = *checked;
  }
  session.Emit([&](Element::Builder e) {
    auto widget = e.initWidget();
    FillWidget(widget, id, label);
    widget.setCheckbox(value);
  });
  return value;
}

std::string text_input(std::string_view label, std::string_view initial,
                       const TextInputOptions& options) {
  AppRunner& session = AppRunner::Current();
  session.CheckInterrupt();
  WidgetSpec spec{.kind = WidgetKind::kTextInput,
                  .key = options.key,
                  .max_chars = options.max_chars,
                  .callback = options.on_change};
  std::string id = session.widgets().Register(label, std::move(spec));
  std::string value(initial);
  if (!options.key.empty()) {
    if (std::any* held = session.state().find(options.key)) {
      const std::string* text = std::any_cast<std::string>(held);
      if (text == nullptr) WrongStateType(options.key, "std::string");
      value = *text;
    }
    session.state().assign(options.key, value);
  } else if (const WidgetInput* stored = session.widgets().Value(id)) {
    if (auto* text = std::get_if<std::string>(stored)) value = *text;
  }
  session.Emit([&](Element::Builder e) {
    auto widget = e.initWidget();
    FillWidget(widget, id, label);
    widget.adoptTextInput(NewText(widget, value));
  });
  return value;
}

std::string selectbox(std::string_view label, const std::vector<std::string>& options, int index,
                      const WidgetOptions& widget_options) {
  return ChoiceWidget(WidgetKind::kSelectbox, label, options, index, widget_options);
}

std::string radio(std::string_view label, const std::vector<std::string>& options, int index,
                  const WidgetOptions& widget_options) {
  return ChoiceWidget(WidgetKind::kRadio, label, options, index, widget_options);
}

namespace {

// A widget's identity and value belong to the run that shows it: never
// inside a cached function. Its label is its accessible name, not page text.
const bool kWidgetKind = sluice::runtime::RegisterElementKind({Element::WIDGET, false, nullptr});

}  // namespace

}  // namespace st
