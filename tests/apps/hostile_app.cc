// A viewer who took over their session's worker: one button per attack on
// another session, the server or the host, each showing "result: ok" if it
// worked or "result: <errno name>" if the kernel refused it. The target's
// pid (as the target shows it) and the broker's port come in text inputs.
// A counter shows that the session itself keeps working.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sluice/st.hpp>
#include <string>
#include <vector>

namespace {

std::string Outcome(bool ok) {
  if (ok) return "ok";
  const char* name = strerrorname_np(errno);
  return name ? name : std::to_string(errno);
}

std::string ReadProcMem(pid_t pid) {
  int fd = ::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY);
  if (fd < 0) return Outcome(false);
  // Any mapped page will do: the start of the target's executable is one.
  char byte;
  bool ok = ::pread(fd, &byte, 1, 0x400000) == 1 || errno == EIO;
  std::string outcome = Outcome(ok);
  ::close(fd);
  return outcome;
}

std::string VmRead(pid_t pid) {
  char local[16];
  static char remote[16];  // same layout in a sibling forked from one zygote
  iovec mine{local, sizeof local};
  iovec theirs{remote, sizeof remote};
  return Outcome(::process_vm_readv(pid, &mine, 1, &theirs, 1, 0) >= 0);
}

std::string Ptrace(pid_t pid) {
  bool ok = ::ptrace(PTRACE_ATTACH, pid, nullptr, nullptr) == 0;
  std::string outcome = Outcome(ok);
  if (ok) ::ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
  return outcome;
}

std::string Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Outcome(false);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string outcome =
      Outcome(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  ::close(fd);
  return outcome;
}

std::string Fork() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  if (pid > 0) ::waitpid(pid, nullptr, 0);
  return Outcome(pid > 0);
}

std::string Exec() {
  char* argv[] = {const_cast<char*>("/bin/sh"), const_cast<char*>("-c"), const_cast<char*>("true"),
                  nullptr};
  ::execv("/bin/sh", argv);
  return Outcome(false);  // execv returns only on failure
}

std::string ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return Outcome(false);
  char byte;
  std::string outcome = Outcome(::read(fd, &byte, 1) >= 0);
  ::close(fd);
  return outcome;
}

std::string WriteFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Outcome(false);
  std::string outcome = Outcome(::write(fd, "x", 1) == 1);
  ::close(fd);
  return outcome;
}

// Touches 64 MiB at a time until the allocation fails.
void AllocateForever() {
  std::vector<char*> blocks;
  for (;;) {
    char* block = new char[64 << 20];
    std::memset(block, 1, 64 << 20);
    blocks.push_back(block);
  }
}

void LoopForever() {
  volatile unsigned long spins = 0;
  for (;;) spins = spins + 1;
}

void app() {
  st::text("pid: " + std::to_string(getpid()));
  int& clicks = st::session_state().get<int>("clicks", 0);
  if (st::button("Add one")) ++clicks;
  st::text("clicks: " + std::to_string(clicks));

  pid_t target = std::atoi(st::text_input("target pid").c_str());
  int port = std::atoi(st::text_input("broker port").c_str());
  std::string path = st::text_input("path");

  std::string result;
  if (st::button("Read memory via /proc")) result = ReadProcMem(target);
  if (st::button("Read memory via process_vm_readv")) result = VmRead(target);
  if (st::button("Ptrace")) result = Ptrace(target);
  if (st::button("Kill")) result = Outcome(::kill(target, SIGKILL) == 0);
  if (st::button("Kill everyone")) result = Outcome(::kill(-1, SIGKILL) == 0);
  if (st::button("Connect to broker")) result = Connect(port);
  if (st::button("Fork")) result = Fork();
  if (st::button("Exec shell")) result = Exec();
  if (st::button("Read file")) result = ReadFile(path);
  if (st::button("Write file")) result = WriteFile(path);
  if (st::button("Allocate forever")) AllocateForever();
  if (st::button("Loop forever")) LoopForever();
  if (!result.empty()) st::text("result: " + result);
}

}  // namespace

SLUICE_APP(app)
