// A run that writes 768 KiB of fresh heap and frees it, as an app building
// a frame does: what a warm worker's heap reserve (--warm-heap-kb) is for
// on the first run, and what malloc keeps for the next run until the
// session goes idle (--idle-trim-after).
#include <unistd.h>

#include <numeric>
#include <sluice/st.hpp>
#include <string>
#include <vector>

namespace {

void app() {
  st::text("pid: " + std::to_string(getpid()));
  std::vector<char> frame(768 << 10, 1);
  st::text("sum: " + std::to_string(std::accumulate(frame.begin(), frame.end(), 0L)));
  int& builds = st::session_state().get<int>("builds", 0);
  if (st::button("Build again")) ++builds;
  st::text("builds: " + std::to_string(builds));
}

}  // namespace

SLUICE_APP(app)
