// Data elements for the query tests (tests/broker/query_test.cc) and the
// browser test: download buttons (bytes, a callable that counts its calls).
#include <unistd.h>

#include <sluice/st.hpp>
#include <string>

namespace {

int g_made = 0;  // calls of the report callable, in this worker

// 1 MB of every byte value, in a pattern that shows a misplaced chunk.
std::string Payload() {
  std::string bytes(1'000'000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 31 + i / 4096) % 256);
  return bytes;
}

void app() {
  st::text("pid: " + std::to_string(getpid()));
  static const std::string payload = Payload();
  st::download_button("Download payload", payload,
                      {.file_name = "payload.bin", .mime = "application/octet-stream"});
  st::download_button(
      "Download report",
      [] {
        ++g_made;
        return "report made " + std::to_string(g_made) + " times\n";
      },
      {.file_name = "report.txt", .mime = "text/plain"});
  st::download_button("Download broken", []() -> std::string {
    throw std::runtime_error("cannot make this file");
  });
  int runs = ++st::session_state().get<int>("runs", 0);
  st::text("runs: " + std::to_string(runs));
  st::button("Rerun");
}

}  // namespace

SLUICE_APP(app)
