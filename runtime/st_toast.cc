// st::toast: a transient notice (sluice/status.hpp). The element takes a
// position like any other and shows nothing there; the page shows its text
// over the corner for a few seconds, once per delta it gets.
#include <xxhash.h>

#include <cstdint>
#include <optional>
#include <string>

#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "sluice/status.hpp"

namespace st {

using sluice::ipc::Element;
using sluice::ipc::NewText;
using sluice::ipc::ViewOf;
using sluice::runtime::AppRunner;
using sluice::runtime::ElementIdentity;

namespace {

// A toast is an event, not a state: a rerun that shows the same toast at
// the same position must show it again, which the stream would skip as
// unchanged under its content identity. So each call has an identity of
// its own: domain-separated XXH3-128 of a per-process call number and of
// everything the page renders (text and icon; ElementIdentity's rule).
ElementIdentity ToastIdentity(std::string_view text, std::string_view icon) {
  static std::uint64_t calls = 0;
  ++calls;
  std::string input = "sluice.toast\n";
  input.append(reinterpret_cast<const char*>(&calls), sizeof calls);
  std::uint64_t text_size = text.size();
  input.append(reinterpret_cast<const char*>(&text_size), sizeof text_size);
  input.append(text);
  input.append(icon);
  return {XXH3_128bits(input.data(), input.size())};
}

}  // namespace

void toast(std::string_view text, const ToastOptions& options) {
  AppRunner::Current().Emit(
      [&](Element::Builder e) {
        auto toast = e.initToast();
        toast.adoptText(NewText(toast, text));
        toast.adoptIcon(NewText(toast, options.icon));
      },
      ToastIdentity(text, options.icon));
}

namespace {

std::optional<std::string> ToastText(Element::Reader e) {
  return std::string(ViewOf(e.getToast().getText()));
}

// Not in a cached function: a hit would replay it, though nothing happened.
const bool kToastKind = sluice::runtime::RegisterElementKind({Element::TOAST, false, &ToastText});

}  // namespace

}  // namespace st
