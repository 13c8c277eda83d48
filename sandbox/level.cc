#include "sandbox/level.h"

namespace sluice::sandbox {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kOff:
      return "off";
    case Level::kStandard:
      return "standard";
    case Level::kStrict:
      return "strict";
  }
  return "unknown";
}

bool ParseLevel(std::string_view text, Level* level) {
  for (Level candidate : {Level::kOff, Level::kStandard, Level::kStrict}) {
    if (text == LevelName(candidate)) {
      *level = candidate;
      return true;
    }
  }
  return false;
}

}  // namespace sluice::sandbox
