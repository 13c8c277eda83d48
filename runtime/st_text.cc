// st:: text elements.
#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "sluice/text.hpp"

namespace st {

using sluice::ipc::Element;
using sluice::ipc::NewText;
using sluice::runtime::AppRunner;

namespace {

void Alert(Element::Alert::Kind kind, std::string_view body) {
  AppRunner::Current().Emit([&](Element::Builder e) {
    auto alert = e.initAlert();
    alert.setKind(kind);
    alert.adoptBody(NewText(alert, body));
  });
}

}  // namespace

void title(std::string_view text) {
  AppRunner::Current().Emit([&](Element::Builder e) { e.adoptTitle(NewText(e, text)); });
}

void header(std::string_view text) {
  AppRunner::Current().Emit([&](Element::Builder e) { e.adoptHeader(NewText(e, text)); });
}

void subheader(std::string_view text) {
  AppRunner::Current().Emit([&](Element::Builder e) { e.adoptSubheader(NewText(e, text)); });
}

void markdown(std::string_view text) {
  AppRunner::Current().Emit([&](Element::Builder e) { e.adoptMarkdown(NewText(e, text)); });
}

void text(std::string_view text) {
  AppRunner::Current().Emit([&](Element::Builder e) { e.adoptText(NewText(e, text)); });
}

void code(std::string_view source, std::string_view language) {
  AppRunner::Current().Emit([&](Element::Builder e) {
    auto code = e.initCode();
    code.adoptSource(NewText(code, source));
    code.adoptLanguage(NewText(code, language));
  });
}

void error(std::string_view text) { Alert(Element::Alert::Kind::ERROR, text); }
void warning(std::string_view text) { Alert(Element::Alert::Kind::WARNING, text); }
void info(std::string_view text) { Alert(Element::Alert::Kind::INFO, text); }
void success(std::string_view text) { Alert(Element::Alert::Kind::SUCCESS, text); }

void divider() {
  AppRunner::Current().Emit([](Element::Builder e) { e.setDivider(); });
}

namespace {

using sluice::runtime::RegisterElementKind;
using Text = std::optional<std::string>;

Text Copy(capnp::Text::Reader text) { return std::string(text.begin(), text.size()); }

// Every text kind may be shown inside a cached function: it is replayed on a hit.
const bool kTextKinds[] = {
    RegisterElementKind(
        {Element::TITLE, true, [](Element::Reader e) -> Text { return Copy(e.getTitle()); }}),
    RegisterElementKind(
        {Element::HEADER, true, [](Element::Reader e) -> Text { return Copy(e.getHeader()); }}),
    RegisterElementKind({Element::SUBHEADER, true,
                         [](Element::Reader e) -> Text { return Copy(e.getSubheader()); }}),
    RegisterElementKind(
        {Element::MARKDOWN, true, [](Element::Reader e) -> Text { return Copy(e.getMarkdown()); }}),
    RegisterElementKind(
        {Element::TEXT, true, [](Element::Reader e) -> Text { return Copy(e.getText()); }}),
    RegisterElementKind({Element::CODE, true,
                         [](Element::Reader e) -> Text { return Copy(e.getCode().getSource()); }}),
    RegisterElementKind({Element::ALERT, true,
                         [](Element::Reader e) -> Text { return Copy(e.getAlert().getBody()); }}),
    RegisterElementKind({Element::DIVIDER, true, nullptr}),
};

}  // namespace

}  // namespace st
