// Two file uploaders, for tests/broker/upload_test.cc and the browser test.
// The app shows what it got (name, size, type, an FNV-1a digest of the
// bytes) but never the bytes themselves, so that the only copy of an
// uploaded file in the worker is the upload's own.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <sluice/st.hpp>
#include <string>

namespace {

std::string Digest(std::span<const std::byte> bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (std::byte b : bytes) {
    hash ^= static_cast<std::uint8_t>(b);
    hash *= 1099511628211ull;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::title("Upload app");

  int& changes = st::session_state().get<int>("changes", 0);
  std::optional<st::UploadedFile> file =
      st::file_uploader("Data file", {.types = {"csv", ".TXT"}, .max_mb = 1, .on_change = [] {
                                        ++st::session_state().get<int>("changes", 0);
                                      }});
  st::text("changes: " + std::to_string(changes));
  if (file) {
    st::text("name: " + file->name());
    st::text("size: " + std::to_string(file->size()));
    st::text("type: " + file->type());
    st::text("digest: " + Digest(file->bytes()));
  } else {
    st::text("no file");
  }

  std::vector<st::UploadedFile> attachments =
      st::file_uploader("Attachments", st::multiple_files, {.key = "attachments"});
  std::string names;
  for (const st::UploadedFile& a : attachments) names += " " + a.name();
  st::text("attachments: " + std::to_string(attachments.size()) + names);
  auto& kept = st::session_state().get<std::vector<st::UploadedFile>>("attachments");
  st::text("attachments in state: " + std::to_string(kept.size()));
}

}  // namespace

SLUICE_APP(app)
