// st::caption: small, muted plain text (Streamlit's st.caption).
#include <optional>
#include <string>

#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "sluice/text.hpp"

namespace st {

using sluice::ipc::Element;

void caption(std::string_view text) {
  sluice::runtime::AppRunner::Current().Emit(
      [&](Element::Builder e) { e.adoptCaption(sluice::ipc::NewText(e, text)); });
}

namespace {

// Plain text, so a cached function may show it: it is replayed on a hit.
const bool kCaptionKind = sluice::runtime::RegisterElementKind(
    {Element::CAPTION, true, [](Element::Reader e) -> std::optional<std::string> {
       capnp::Text::Reader text = e.getCaption();
       return std::string(text.begin(), text.size());
     }});

}  // namespace

}  // namespace st
