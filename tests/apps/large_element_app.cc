// A file uploader beside one large element on demand, for the broker's
// per-page limits (tests/broker/page_limits_test.cc): after "Show a 20 MiB
// text" every run shows one text of 20 MiB, in a frame of its own that is
// larger than the page's high-water mark and than the 16 MiB backlog for
// which the broker once closed a page that uploaded.
#include <unistd.h>

#include <cstddef>
#include <sluice/st.hpp>
#include <string>

#include "../support/fnv1a.h"

namespace {

using sluice::testing::Fnv1aHex;

constexpr std::size_t kLargeTextBytes = 20u << 20;

void app() {
  st::text("pid: " + std::to_string(getpid()));
  std::optional<st::UploadedFile> file = st::file_uploader("Data file", {.max_mb = 8});
  if (file) {
    st::text("size: " + std::to_string(file->size()));
    st::text("digest: " + Fnv1aHex(file->bytes()));
  } else {
    st::text("no file");
  }
  bool& large = st::session_state().get<bool>("large", false);
  if (st::button("Show a 20 MiB text")) large = true;
  if (large) {
    std::string text = "large text ";
    text.resize(kLargeTextBytes, 'x');
    st::text(text);
  }
  st::text("end of app");
}

}  // namespace

SLUICE_APP(app)
