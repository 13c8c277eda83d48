// The options of st::cache_data and st::cache_resource (sluice/cache.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace st {

enum class CacheScope {
  global,   // every session shares the entries (the shared-memory arena)
  session,  // entries live in this session's worker and end with it
};

struct CacheDataOptions {
  std::chrono::milliseconds ttl{0};  // an entry expires this long after it was made; 0: never
  std::size_t max_entries = 0;       // most entries this function keeps; 0: no limit
  bool show_spinner = true;          // show a spinner on the page while a miss computes,
  std::string spinner_text;          // with this text; empty: "Running NAME(...)."
  CacheScope scope = CacheScope::global;
};

template <class T>
struct CacheResourceOptions {
  std::chrono::milliseconds ttl{0};  // rebuild the object this long after it was built; 0: never
  std::size_t max_entries = 0;       // most objects kept (one per argument set); 0: no limit
  std::function<bool(T&)> validate;  // checked on every call; false: rebuild
  bool preload = false;              // build in the zygote at startup (see cache_resource)
  bool show_spinner = true;
};

}  // namespace st
