// A first run that writes 768 KiB of fresh heap, as an app building its
// first frame does: what a warm worker's heap reserve (--warm-heap-kb) is for.
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
}

}  // namespace

SLUICE_APP(app)
