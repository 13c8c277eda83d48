// An app that floods its page or stops listening to the broker, for tests of
// the broker's bounds. "Emit 40 MiB" shows 40 texts of 1 MiB each; "Emit one
// 128 MiB text" sends a single frame that large; "Stream 200 MiB" shows 200
// texts of 1 MiB, each in a frame of its own (they come more than the
// worker's stream interval apart); "Hang" blocks the worker for good
// without reading another command (it says so on stderr first, so a test
// knows from when on commands pile up).
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <sluice/st.hpp>
#include <string>
#include <thread>

namespace {

constexpr int kBigTexts = 40;
constexpr std::size_t kBigTextBytes = 1u << 20;
constexpr std::size_t kHugeTextBytes = 128u << 20;
constexpr int kStreamedTexts = 200;
// Longer than the worker's stream interval (runtime/element_stream.h), so
// that each text leaves in a frame of its own.
constexpr std::chrono::milliseconds kStreamGap{60};

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::text_input("note");
  if (st::button("Emit 40 MiB")) {
    for (int i = 0; i < kBigTexts; ++i) {
      std::string text = "big text " + std::to_string(i) + " ";
      text.resize(kBigTextBytes, static_cast<char>('a' + i % 26));
      st::text(text);
    }
  }
  if (st::button("Emit one 128 MiB text")) {
    st::text(std::string(kHugeTextBytes, 'h'));
  }
  if (st::button("Stream 200 MiB")) {
    for (int i = 0; i < kStreamedTexts; ++i) {
      std::this_thread::sleep_for(kStreamGap);
      std::string text = "streamed text " + std::to_string(i) + " ";
      text.resize(kBigTextBytes, 's');
      st::text(text);
    }
  }
  if (st::button("Hang")) {
    std::fprintf(stderr, "flood_app: worker %d hangs\n", static_cast<int>(getpid()));
    for (;;) ::pause();
  }
  st::text("end of app");
}

}  // namespace

SLUICE_APP(app)
