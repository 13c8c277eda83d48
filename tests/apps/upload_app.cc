// Two file uploaders, for tests/broker/upload_test.cc and the browser test.
// The app shows what it got (name, size, type, an FNV-1a digest of the
// bytes) but never the bytes themselves, so that the only copy of an
// uploaded file in the worker is the upload's own.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <sluice/st.hpp>
#include <string>

#include "../support/fnv1a.h"

namespace {

using sluice::testing::Fnv1aHex;

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
    st::text("digest: " + Fnv1aHex(file->bytes()));
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
  for (const st::UploadedFile& a : attachments) {
    st::text("attachment " + a.name() + " digest: " + Fnv1aHex(a.bytes()));
  }
}

}  // namespace

SLUICE_APP(app)
