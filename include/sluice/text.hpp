// Text elements. All text is shown as text: nothing an app writes (or
// echoes from a viewer) can become HTML or script on the page.
#pragma once

#include <string_view>

namespace st {

void title(std::string_view text);
void header(std::string_view text);
void subheader(std::string_view text);
// A CommonMark subset (emphasis, code, lists, links, headings); raw HTML in
// `text` is shown escaped, never interpreted.
void markdown(std::string_view text);
void text(std::string_view text);
// Small, muted plain text: a note under a chart, a source, a footnote.
void caption(std::string_view text);
void code(std::string_view source, std::string_view language = "");
void error(std::string_view text);
void warning(std::string_view text);
void info(std::string_view text);
void success(std::string_view text);
void divider();

}  // namespace st
