// Whether a text is JSON, and if not, where and why not: what st::json and
// st::vega_lite_chart check in the worker before anything reaches the page.
//
// The check is nlohmann-json's SAX parser with a handler that keeps
// nothing: it reads the text once, builds no document in memory, and its
// nesting stack is one bit per level (no recursion), so a hostile depth
// costs no stack. Pure; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sluice::runtime {

// nullopt if `text` is one JSON value (RFC 8259, UTF-8, nothing after it);
// else "Invalid JSON at line L, column C (byte offset O): <why>", with
// line and column (in characters) from 1 and the reason cut to 200 bytes.
std::optional<std::string> JsonError(std::string_view text);

}  // namespace sluice::runtime
