// How much of the sandbox a worker gets (`sluice serve --sandbox=...`).
#pragma once

#include <string_view>

namespace sluice::sandbox {

enum class Level {
  kOff,       // nothing but closed descriptors: for debugging only
  kStandard,  // everything that works without namespaces
  kStrict,    // standard, plus namespaces made once for the zygote
};

std::string_view LevelName(Level level);
// "strict", "standard" or "off"; false if `text` is none of them.
bool ParseLevel(std::string_view text, Level* level);

}  // namespace sluice::sandbox
