// A session that turns on the cache: it finds the shared arena in its own
// address space and tries to make it writable or write to it. Each button
// shows what the kernel answered; "write" is expected to crash the worker.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sluice/st.hpp>
#include <string>

namespace {

struct Range {
  char* start = nullptr;
  std::size_t size = 0;
  std::string map_file;  // /proc/self/map_files/START-END
};

// The arena is the shared mapping of the memfd the broker named "sluice-cache".
Range FindArena() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("memfd:sluice-cache") == std::string::npos) continue;
    unsigned long start = 0, end = 0;
    std::sscanf(line.c_str(), "%lx-%lx", &start, &end);
    return {reinterpret_cast<char*>(start), end - start,
            "/proc/self/map_files/" + line.substr(0, line.find(' '))};
  }
  return {};
}

std::string Outcome(bool refused) {
  return refused ? std::string("refused: ") + std::strerror(errno) : "ALLOWED";
}

const auto shared =
    st::cache_data([](int n) { return std::to_string(getpid()) + "/" + std::to_string(n); });

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::text("value " + shared(1));
  Range arena = FindArena();
  st::text(arena.start != nullptr ? "arena found" : "arena not found");
  if (arena.start == nullptr) return;

  if (st::button("mprotect")) {
    st::text("mprotect: " +
             Outcome(::mprotect(arena.start, arena.size, PROT_READ | PROT_WRITE) != 0));
  }
  if (st::button("remap")) {
    // Reopen the file behind the mapping and map it writable.
    int fd = ::open(arena.map_file.c_str(), O_RDWR);
    bool refused = fd < 0;
    if (!refused) {
      void* map = ::mmap(nullptr, arena.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      refused = map == MAP_FAILED;
      if (!refused) ::munmap(map, arena.size);
      ::close(fd);
    }
    st::text("remap: " + Outcome(refused));
  }
  if (st::button("write")) {
    arena.start[arena.size / 2] = 'x';  // must die with SIGSEGV
    st::text("write: ALLOWED");
  }
}

}  // namespace

SLUICE_APP(app)
