// A run long enough for widget changes to arrive while it is in progress:
// 200 elements, each after about a millisecond of work.
#include <unistd.h>

#include <chrono>
#include <sluice/st.hpp>
#include <string>

namespace {

void BusyFor(std::chrono::microseconds duration) {
  auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
  }
}

void app() {
  st::text("pid: " + std::to_string(getpid()));
  int v = st::slider("v", 0, 1000, 0);
  st::text("start v=" + std::to_string(v));
  for (int i = 0; i < 200; ++i) {
    BusyFor(std::chrono::milliseconds(1));
    st::text("line " + std::to_string(i) + " of v=" + std::to_string(v));
  }
  st::text("done v=" + std::to_string(v));
}

}  // namespace

SLUICE_APP(app)
