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
#include <sys/syscall.h>
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

// The route around kill(): O_ASYNC on a descriptor whose owner is `pid`
// makes the kernel send that owner SIGIO (by default, fatal) whenever the
// descriptor becomes ready, here at once by a write into a pipe. Reports
// the first step the kernel refused.
std::string SignalViaSigio(pid_t pid) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Outcome(false);
  bool ok = ::fcntl(fds[0], F_SETOWN, pid) == 0;
  int flags = ok ? ::fcntl(fds[0], F_GETFL) : -1;
  ok = ok && flags >= 0 && ::fcntl(fds[0], F_SETFL, flags | O_ASYNC) == 0;
  ok = ok && ::write(fds[1], "x", 1) == 1;
  std::string outcome = Outcome(ok);
  ::close(fds[0]);
  ::close(fds[1]);
  return outcome;
}

// One fcntl step of the route on a fresh pipe.
std::string OnAPipe(int command, long argument) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Outcome(false);
  if (command == F_SETFL) argument |= ::fcntl(fds[0], F_GETFL);
  std::string outcome = Outcome(::fcntl(fds[0], command, argument) == 0);
  ::close(fds[0]);
  ::close(fds[1]);
  return outcome;
}

std::string SetOwnerEx(pid_t tid) {
  f_owner_ex owner{F_OWNER_TID, tid};
  return OnAPipe(F_SETOWN_EX, reinterpret_cast<long>(&owner));
}

std::string PidfdSignal(pid_t pid) {
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return Outcome(false);
  std::string outcome = Outcome(::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0) == 0);
  ::close(static_cast<int>(fd));
  return outcome;
}

// What a worker may still do: signal itself (raise, abort and pthread_kill
// use tgkill on its own pid).
std::string SignalItself() {
  ::signal(SIGUSR1, SIG_IGN);
  bool ok = ::raise(SIGUSR1) == 0 && ::syscall(SYS_tkill, ::getpid(), SIGUSR1) == 0;
  return Outcome(ok);
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
  if (st::button("Tkill")) result = Outcome(::syscall(SYS_tkill, target, SIGKILL) == 0);
  if (st::button("Tgkill")) result = Outcome(::syscall(SYS_tgkill, target, target, SIGKILL) == 0);
  if (st::button("Sigqueue")) result = Outcome(::sigqueue(target, SIGKILL, sigval{}) == 0);
  if (st::button("Pidfd signal")) result = PidfdSignal(target);
  if (st::button("Signal via SIGIO")) result = SignalViaSigio(target);
  if (st::button("Set owner ex")) result = SetOwnerEx(target);
  if (st::button("Set signal")) result = OnAPipe(F_SETSIG, SIGKILL);
  if (st::button("Set async")) result = OnAPipe(F_SETFL, O_ASYNC);
  if (st::button("Set nonblocking")) result = OnAPipe(F_SETFL, O_NONBLOCK);
  if (st::button("Signal itself")) result = SignalItself();
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
