#include "tests/support/child_process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace sluice::testing {
namespace {

absl::Status ErrnoStatus(std::string_view what) {
  return absl::InternalError(absl::StrCat(std::string(what), ": ", std::strerror(errno)));
}

int RemainingMs(Deadline deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// The inherited environment with `overrides` ("NAME=value") replacing or
// adding entries.
std::vector<std::string> MergedEnvironment(const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = std::any_of(overrides.begin(), overrides.end(),
                                [&](const std::string& o) { return name_of(o) == name_of(entry); });
    if (!replaced) env.emplace_back(entry);
  }
  env.insert(env.end(), overrides.begin(), overrides.end());
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// What the forked child needs, prepared before fork: after it, the child
// may only make async-signal-safe calls until execve.
struct ChildStart {
  pid_t parent;
  int devnull;
  int output;
  bool capture_stdout;
  const int* ignored_signals;
  size_t ignored_signal_count;
  const rlimit* open_files;  // null: keep ours
  char* const* argv;
  char* const* envp;
  int error_fd;
};

// Steps of BecomeChild that can fail, reported to the parent with errno.
enum ChildStep : int { kRedirect, kIgnoreSignal, kLimitFiles, kExec };
constexpr const char* kChildStepNames[] = {"redirect stdio", "ignore a signal", "set RLIMIT_NOFILE",
                                           "execute"};

struct ChildError {
  int step;
  int err;
};

[[noreturn]] void ChildFailed(int error_fd, ChildStep step) {
  ChildError error{step, errno};
  (void)!write(error_fd, &error, sizeof error);
  _exit(127);
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void BecomeChild(const ChildStart& start) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != start.parent) _exit(127);  // the parent died before prctl
  if (dup2(start.devnull, STDIN_FILENO) < 0 || dup2(start.output, STDERR_FILENO) < 0 ||
      (start.capture_stdout && dup2(start.output, STDOUT_FILENO) < 0)) {
    ChildFailed(start.error_fd, kRedirect);
  }
  for (size_t i = 0; i < start.ignored_signal_count; ++i) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    if (sigaction(start.ignored_signals[i], &ignore, nullptr) != 0) {
      ChildFailed(start.error_fd, kIgnoreSignal);
    }
  }
  if (start.open_files != nullptr && setrlimit(RLIMIT_NOFILE, start.open_files) != 0) {
    ChildFailed(start.error_fd, kLimitFiles);
  }
  // Descriptors the test process holds without O_CLOEXEC (Asio's sockets,
  // say) must not leak into the child: a leaked client socket would keep a
  // "dropped" connection open. Marks them close-on-exec (Linux 5.11+).
  syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
  execve(start.argv[0], start.argv, start.envp);
  ChildFailed(start.error_fd, kExec);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(Options options) {
  std::vector<std::string> argv_strings{options.program};
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
  std::vector<std::string> env_strings = MergedEnvironment(options.env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2(output)");
  UniqueFd output_read(fds[0]), output_write(fds[1]);
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2(exec error)");
  UniqueFd error_read(fds[0]), error_write(fds[1]);
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2(stop)");
  UniqueFd stop_read(fds[0]), stop_write(fds[1]);
  const std::string& stdin_path =
      options.inherited.stdin_file.empty() ? "/dev/null" : options.inherited.stdin_file;
  UniqueFd devnull(open(stdin_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!devnull.valid()) return ErrnoStatus("open(" + stdin_path + ")");
  UniqueFd changes;
  if (!options.inherited.stderr_file.empty()) {
    const char* path = options.inherited.stderr_file.c_str();
    output_write.reset(open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!output_write.valid()) return ErrnoStatus("open(stderr file)");
    changes.reset(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!changes.valid()) return ErrnoStatus("inotify_init1");
    if (inotify_add_watch(changes.get(), path, IN_MODIFY) < 0)
      return ErrnoStatus("inotify_add_watch");
    output_read.reset(open(path, O_RDONLY | O_CLOEXEC));
    if (!output_read.valid()) return ErrnoStatus("open(stderr file) for reading");
  }

  std::optional<rlimit> open_files;
  if (options.inherited.max_open_files) {
    open_files = rlimit{*options.inherited.max_open_files, *options.inherited.max_open_files};
  }
  ChildStart start{getpid(),
                   devnull.get(),
                   output_write.get(),
                   options.capture_stdout,
                   options.inherited.ignored_signals.data(),
                   options.inherited.ignored_signals.size(),
                   open_files ? &*open_files : nullptr,
                   argv.data(),
                   envp.data(),
                   error_write.get()};
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus("fork");
  if (pid == 0) BecomeChild(start);
  // Also set the group from here, so it exists whichever side runs first.
  setpgid(pid, pid);
  output_write.reset();
  error_write.reset();

  ChildError error{};
  ssize_t n;
  do {
    n = read(error_read.get(), &error, sizeof error);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    int status;
    waitpid(pid, &status, 0);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot ", kChildStepNames[error.step], error.step == kExec ? " " : " for ",
                     options.program, ": ", std::strerror(error.err)));
  }
  if (fcntl(output_read.get(), F_SETFL, O_NONBLOCK) != 0) return ErrnoStatus("fcntl(O_NONBLOCK)");
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, std::move(output_read),
                                                        std::move(changes), std::move(stop_read),
                                                        std::move(stop_write)));
}

ChildProcess::ChildProcess(pid_t pid, UniqueFd output, UniqueFd changes, UniqueFd stop_read,
                           UniqueFd stop_write)
    : pid_(pid),
      output_(std::move(output)),
      changes_(std::move(changes)),
      stop_read_(std::move(stop_read)),
      stop_write_(std::move(stop_write)) {
  reader_ = std::thread([this] { changes_.valid() ? FollowFile() : ReadOutput(); });
}

// Like `tail -f`: reads what the file gained each time inotify says it
// changed, until told to stop (then once more).
void ChildProcess::FollowFile() {
  char buffer[4096];
  bool stopping = false;
  while (!stopping) {
    pollfd fds[2] = {{changes_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) stopping = true;
    while (read(changes_.get(), buffer, sizeof buffer) > 0) {
    }
    for (;;) {
      ssize_t n = read(output_.get(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::lock_guard lock(mutex_);
      AppendLocked(std::string_view(buffer, static_cast<size_t>(n)));
      changed_.notify_all();
    }
  }
  std::lock_guard lock(mutex_);
  if (!partial_.empty()) lines_.push_back(std::exchange(partial_, {}));
  output_ended_ = true;
  changed_.notify_all();
}

ChildProcess::~ChildProcess() { Terminate(); }

void ChildProcess::Terminate() {
  if (!reader_.joinable()) return;
  // The group first: while the leader is unreaped its id cannot be reused.
  kill(-pid_, SIGKILL);
  if (!wait_status_) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    wait_status_ = status;
  }
  char stop = 1;
  (void)!write(stop_write_.get(), &stop, 1);
  reader_.join();
}

void ChildProcess::AppendLocked(std::string_view bytes) {
  partial_.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines_.emplace_back(partial_, start, nl - start);
  }
  partial_.erase(0, start);
}

void ChildProcess::ReadOutput() {
  char buffer[4096];
  bool stopping = false;
  int reads_after_stop = 0;  // an orphan that keeps writing must not hold us
  while (!stopping || ++reads_after_stop < 256) {
    pollfd fds[2] = {{output_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (!stopping && poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) stopping = true;
    ssize_t n = read(output_.get(), buffer, sizeof buffer);
    if (n > 0) {
      std::lock_guard lock(mutex_);
      AppendLocked(std::string_view(buffer, static_cast<size_t>(n)));
      changed_.notify_all();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && !stopping) continue;
    break;  // end of output, an error, or stopping with nothing left to read
  }
  std::lock_guard lock(mutex_);
  if (!partial_.empty()) lines_.push_back(std::exchange(partial_, {}));
  output_ended_ = true;
  changed_.notify_all();
}

std::optional<std::string> ChildProcess::WaitForLine(
    const std::function<bool(std::string_view)>& matches, Deadline deadline) const {
  std::unique_lock lock(mutex_);
  size_t checked = 0;
  while (true) {
    for (; checked < lines_.size(); ++checked) {
      if (matches(lines_[checked])) return lines_[checked];
    }
    if (output_ended_) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout &&
        checked == lines_.size()) {
      return std::nullopt;
    }
  }
}

std::optional<std::string> ChildProcess::WaitForLine(
    const std::function<bool(std::string_view)>& matches, Deadline deadline,
    const std::function<void()>& meanwhile) const {
  std::optional<std::string> line;
  while (!line && std::chrono::steady_clock::now() < deadline) {
    meanwhile();
    line = WaitForLine(matches, std::min(deadline, After(std::chrono::milliseconds(250))));
  }
  return line;
}

bool ChildProcess::WaitForOutputEnd(Deadline deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [&] { return output_ended_; });
}

std::vector<std::string> ChildProcess::Lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string ChildProcess::Output() const {
  std::lock_guard lock(mutex_);
  std::string out = absl::StrJoin(lines_, "\n");
  if (!partial_.empty()) absl::StrAppend(&out, out.empty() ? "" : "\n", partial_);
  return out;
}

absl::Status ChildProcess::Kill(int sig) {
  if (wait_status_) return absl::FailedPreconditionError("the child was already reaped");
  if (kill(pid_, sig) != 0) return ErrnoStatus(absl::StrCat("kill(", pid_, ", ", sig, ")"));
  return absl::OkStatus();
}

absl::StatusOr<int> ChildProcess::Wait(Deadline deadline) {
  if (wait_status_) return *wait_status_;
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid_, 0)));
  if (!pidfd.valid()) return ErrnoStatus(absl::StrCat("pidfd_open(", pid_, ")"));
  while (true) {
    pollfd fd{pidfd.get(), POLLIN, 0};
    int ready = poll(&fd, 1, RemainingMs(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ErrnoStatus("poll(pidfd)");
    if (ready == 0) {
      return absl::DeadlineExceededError(absl::StrCat("process ", pid_, " is still running"));
    }
    break;
  }
  int status;
  while (waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoStatus(absl::StrCat("waitpid(", pid_, ")"));
  }
  wait_status_ = status;
  return status;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return absl::StrCat("killed by signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)),
                        ")");
  }
  return absl::StrCat("wait status ", status);
}

}  // namespace sluice::testing
