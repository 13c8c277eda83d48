// Paths of the test apps (tests/apps/), set by tests/CMakeLists.txt.
#pragma once

#include <string>

namespace sluice::testing {

inline const std::string kStateApp = SLUICE_STATE_APP;
inline const std::string kCrashApp = SLUICE_CRASH_APP;
inline const std::string kSlowApp = SLUICE_SLOW_APP;
inline const std::string kApiApp = SLUICE_API_APP;
inline const std::string kFloodApp = SLUICE_FLOOD_APP;
inline const std::string kCacheApp = SLUICE_CACHE_APP;
inline const std::string kHostileCacheApp = SLUICE_HOSTILE_CACHE_APP;
inline const std::string kUploadApp = SLUICE_UPLOAD_APP;
inline const std::string kLargeElementApp = SLUICE_LARGE_ELEMENT_APP;
inline const std::string kDataApp = SLUICE_DATA_APP;
inline const std::string kChartApp = SLUICE_CHART_APP;
inline const std::string kMistakesApp = SLUICE_MISTAKES_APP;
inline const std::string kHeapApp = SLUICE_HEAP_APP;
inline const std::string kImageApp = SLUICE_IMAGE_APP;
inline const std::string kVegaApp = SLUICE_VEGA_APP;
inline const std::string kLiveApp = SLUICE_LIVE_APP;
inline const std::string kNotAnApp = SLUICE_NOT_AN_APP;

}  // namespace sluice::testing
