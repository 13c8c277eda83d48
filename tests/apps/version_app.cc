// One app built twice, as version 1 and version 2 (SLUICE_TEST_APP_VERSION),
// for the reload tests: a session shows which version its worker runs.
// Ticking "long run" makes a run last about 20 s, for the drain timeout.
#include <unistd.h>

#include <chrono>
#include <sluice/st.hpp>
#include <string>

namespace {

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::text("version " + std::to_string(SLUICE_TEST_APP_VERSION));
  int v = st::slider("v", 0, 1000, 0);
  st::text("v=" + std::to_string(v));
  if (st::checkbox("long run", false)) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int line = 0;
    while (std::chrono::steady_clock::now() < until) {
      usleep(50 * 1000);
      st::text("still running " + std::to_string(++line));
    }
    st::text("long run done");
  }
}

}  // namespace

SLUICE_APP(app)
