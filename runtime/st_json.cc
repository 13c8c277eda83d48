// st::json: a JSON document shown as a collapsible tree, checked here first
// (runtime/json_check.h).
#include <optional>
#include <string>
#include <string_view>

#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "runtime/json_check.h"
#include "sluice/display.hpp"

namespace st {

using sluice::ipc::Element;
using sluice::ipc::NewText;
using sluice::ipc::ViewOf;

void json(std::string_view text, const JsonOptions& options) {
  if (std::optional<std::string> error = sluice::runtime::JsonError(text)) {
    sluice::runtime::AppRunner::Current().Emit([&](Element::Builder e) {
      auto alert = e.initAlert();
      alert.setKind(Element::Alert::Kind::ERROR);
      alert.adoptBody(NewText(alert, *error));
    });
    return;
  }
  sluice::runtime::AppRunner::Current().Emit([&](Element::Builder e) {
    auto json = e.initJson();
    json.adoptText(NewText(json, text));
    json.setExpanded(options.expanded);
  });
}

namespace {

// Plain content, so a cached function may show it: it is replayed on a hit.
// A viewer reads the document's text.
const bool kJsonKind = sluice::runtime::RegisterElementKind(
    {Element::JSON, true, [](Element::Reader e) -> std::optional<std::string> {
       return std::string(ViewOf(e.getJson().getText()));
     }});

}  // namespace

}  // namespace st
