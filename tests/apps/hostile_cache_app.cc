// A session that turns on the cache: it finds the shared arena in its own
// address space and tries to make it writable or write to it. Each button
// shows what the kernel answered; "write" is expected to crash the worker.
// "hold" claims a cached value and sleeps far past the test's
// --cache-wait-timeout before returning it; "fetch" asks for the same value.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sluice/st.hpp>
#include <string>
#include <thread>

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

// The key is (7) either way: how long to hold it is left out of the key.
constexpr int kHoldMs = 6000;
const auto held = st::cache_data(
    [](int n, int hold_ms) {
      std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
      return std::to_string(getpid()) + "/" + std::to_string(n);
    },
    {.spinner_text = "Computing the held value"});

void app() {
  st::text("pid: " + std::to_string(getpid()));
  st::text("value " + shared(1));
  if (st::button("hold")) st::text("held " + held(7, st::unhashed(kHoldMs)));
  if (st::button("fetch")) st::text("held " + held(7, st::unhashed(0)));
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
