// A viewer who took over their worker and turns to its standard descriptors
// and its denial reports: one button per step, each showing "result: ..."
// (an errno name when the kernel refused). "Print" writes a line to stdout
// and one to stderr, "Print a long line" one of 10,000 bytes, "Flood" 20,000
// lines as fast as the pipe takes them.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sluice/st.hpp>
#include <string>

namespace {

constexpr int kFloodLines = 20000;
constexpr int kForgedReports = 5000;
constexpr int kDenialsFd = 5;  // worker/become_worker.h

std::string Errno() {
  const char* name = strerrorname_np(errno);
  return name ? name : std::to_string(errno);
}

std::string Outcome(bool ok) { return ok ? "ok" : Errno(); }

bool WriteAll(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::string Flood() {
  int written = 0;
  for (int i = 0; i < kFloodLines; ++i) {
    if (WriteAll(STDOUT_FILENO, "flood line " + std::to_string(i) + "\n")) ++written;
  }
  return "flooded " + std::to_string(written);
}

// A line that looks like the broker's own log, on stdout and on stderr.
std::string Forge() {
  const std::string line =
      R"({"ts":"2030-01-01T00:00:00.000Z","level":"error","process":"broker","pid":1,)"
      R"("event":"forged_by_worker"})"
      "\n";
  return Outcome(WriteAll(STDOUT_FILENO, line) && WriteAll(STDERR_FILENO, line));
}

std::string SetNonBlocking() {
  for (int fd : {STDOUT_FILENO, STDERR_FILENO}) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return Errno();
  }
  return "ok";
}

std::string ReadStdin() {
  char buffer[256];
  ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
  if (n < 0) return Errno();
  if (n == 0) return "EOF";
  return "read " + std::string(buffer, static_cast<std::size_t>(n));
}

// Writes a huge count into any counter page it can find mapped, and floods
// its own denial pipe with reports of calls it never made.
std::string ForgeDenials() {
  std::string page = "no page";
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find("memfd:sluice-") == std::string::npos ||
        line.find("counters") == std::string::npos) {
      continue;
    }
    std::uintptr_t start = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
    auto* words = reinterpret_cast<volatile std::uint64_t*>(start);
    words[0] = std::uint64_t{1} << 40;
    words[1] = std::uint64_t{1} << 40;
    page = "page written";
  }
  int sent = 0;
  for (int i = 0; i < kForgedReports * 100 && sent < kForgedReports; ++i) {
    std::int32_t report = 41;  // socket
    if (::write(kDenialsFd, &report, sizeof report) == sizeof report) {
      ++sent;
    } else if (errno != EAGAIN) {
      break;
    }
  }
  return page + ", forged " + std::to_string(sent);
}

void app() {
  st::text("pid: " + std::to_string(getpid()));
  std::string result;
  if (st::button("Print")) {
    std::printf("stdio_app prints to stdout\n");
    std::fprintf(stderr, "stdio_app prints to stderr\n");
    result = "printed";
  }
  if (st::button("Print a long line")) {
    result = Outcome(WriteAll(STDOUT_FILENO, "long " + std::string(10000, 'x') + "\n"));
  }
  if (st::button("Flood")) result = Flood();
  if (st::button("Forge a log line")) result = Forge();
  if (st::button("Set O_NONBLOCK")) result = SetNonBlocking();
  if (st::button("Truncate stderr")) result = Outcome(::ftruncate(STDERR_FILENO, 0) == 0);
  if (st::button("Read stdin")) result = ReadStdin();
  if (st::button("Forge denials")) result = ForgeDenials();
  if (st::button("Denied call")) result = Outcome(::socket(AF_INET, SOCK_STREAM, 0) >= 0);
  if (!result.empty()) st::text("result: " + result);
}

}  // namespace

SLUICE_APP(app)
