// Every kind of element a worker can put on the page, declared once, in the
// file of the st:: function that makes it:
//
//   const bool kCaptionKind = RegisterElementKind({
//       .which = ipc::Element::CAPTION,
//       .in_cached_function = true,
//       .text = [](ipc::Element::Reader e) -> std::optional<std::string> {
//         return std::string(ipc::ViewOf(e.getCaption()));  // every byte
//       }});
//
// The schema member (ipc/page.capnp's Element union) is the kind's identity;
// its name comes from the schema, so nothing is spelled twice. The runner asks
// the registry whether a kind may be shown inside a cached function; the
// test page model (tests/support/page_model.h) asks it how a viewer reads
// one. The page's half of a kind is one module in web/src/elements/.
//
// Registration happens during static initialization (of libsluice.so, or of
// a test binary that links the runtime's objects); lookups after that are
// read-only and safe from any thread. Replaying a cache entry asks the
// registry too: a recorded element of a kind a cached function may not
// show is refused (cache_entry.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ipc/page.capnp.h"

namespace sluice::runtime {

struct ElementKind {
  ipc::Element::Which which;
  // Whether a cached function may show it: its recorded copy is shown again
  // on every hit. Widgets and layout blocks may not (their identity and
  // their containers belong to the run that makes them).
  bool in_cached_function = false;
  // The text a viewer reads in it (what tests search with Texts()), or
  // nullopt for a kind that shows none.
  std::optional<std::string> (*text)(ipc::Element::Reader element) = nullptr;
};

// Adds `kind`; returns true so it can initialize a namespace-scope constant.
// A kind registered twice is a programming error: the process aborts, naming it.
bool RegisterElementKind(const ElementKind& kind);

// The registered kind of `which`, or null for a kind no file registered.
const ElementKind* FindElementKind(ipc::Element::Which which);

// The schema member's name ("title", "fileUploader"); "unknown" for a
// discriminant this build's schema does not have.
std::string_view ElementKindName(ipc::Element::Which which);

}  // namespace sluice::runtime
