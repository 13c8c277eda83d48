// Shows what reaches app code through st::secrets() without showing a
// value: each key's length and a checksum. A text box takes a path the
// worker then tries to open, so tests can show that workers cannot read the
// secrets file itself.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sluice/secrets.hpp>
#include <sluice/st.hpp>
#include <string>

#include "../support/fnv1a.h"

namespace {

using sluice::testing::Fnv1a;

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::text("secrets: " + std::to_string(st::secrets().size()));
  for (const std::string& key : st::secrets().keys()) {
    std::string_view value = st::secrets().at(key);
    st::text(key + " length " + std::to_string(value.size()) + " checksum " +
             std::to_string(Fnv1a(value)));
  }
  std::string path = st::text_input("open");
  if (!path.empty()) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      st::text("open failed: " + std::string(std::strerror(errno)));
    } else {
      char buffer[64];
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      ::close(fd);
      st::text("open succeeded: read " + std::to_string(n) + " bytes");
    }
  }
}

}  // namespace

SLUICE_APP(app)
