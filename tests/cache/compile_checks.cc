// Compiled by ctest (tests/CMakeLists.txt), not by the default build: each
// variant must fail with a readable message, or, with FIXED, compile.
#include <sluice/st.hpp>
#include <string>

namespace {

struct Opaque {
  int x;
  std::string name;
};

#ifdef FIXED
void SluiceHashValue(st::Hasher& h, const Opaque& o) {
  h.add(o.x);
  h.add(o.name);
}
#endif

struct Handle {
  int* resource;  // a pointer means nothing in another process
};

#ifdef UNHASHABLE_ARGUMENT
int Use(Opaque o) { return o.x; }
#endif
#ifdef UNSTORABLE_RESULT
Handle Use(int n) { return {nullptr}; }
#endif
#ifdef FIXED
int Use(Opaque o) { return o.x; }
#endif

}  // namespace

void compile_check() {
  auto cached = st::cache_data(Use);
#if defined(UNHASHABLE_ARGUMENT) || defined(FIXED)
  (void)cached(Opaque{1, "a"});
#else
  (void)cached(1);
#endif
}
