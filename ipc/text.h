// The one way to put a string into a Cap'n Proto message, and to read one
// back, byte for byte.
//
// A Text field set any other way loses bytes or reads past them:
// capnp::Text::Reader(data, size) requires data[size] == '\0', which a
// std::string_view does not promise, and std::string's implicit conversion
// (like c_str()) stops at the first embedded NUL.
//
//   e.adoptTitle(ipc::NewText(e, title));          // a field
//   list.adopt(i, ipc::NewText(list, options[i]));  // an element of List(Text)
//
// An embedded NUL is kept: the page decodes it (capnp-es, TextDecoder) as
// U+0000 in the JavaScript string. Plain-text elements keep it in the DOM,
// where browsers draw nothing for it; markdown turns it into U+FFFD, as
// CommonMark requires. Nothing truncates at it and nothing throws.
#pragma once

#include <capnp/blob.h>
#include <capnp/orphan.h>

#include <string_view>

namespace sluice::ipc {

// A Text holding exactly the bytes of `text` (embedded NULs included; no NUL
// need follow them), allocated in `orphanage`'s message, for a field's or a
// list's adopt(). Copies the bytes once, straight into the message.
// Throws std::invalid_argument if `text` is longer than a Text can hold
// (capnp::MAX_TEXT_SIZE bytes, just under 512 MiB).
capnp::Orphan<capnp::Text> NewText(capnp::Orphanage orphanage, std::string_view text);

// The same, allocated in the message that holds `builder` (any struct or
// list builder of it), which is where the field adopting it lives.
template <typename Builder>
capnp::Orphan<capnp::Text> NewText(Builder builder, std::string_view text) {
  return NewText(capnp::Orphanage::getForMessageContaining(builder), text);
}

// The bytes of `text`, all of them (cStr() stops at the first NUL).
inline std::string_view ViewOf(capnp::Text::Reader text) { return {text.begin(), text.size()}; }

}  // namespace sluice::ipc
