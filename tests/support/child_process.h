// A child process for tests: its stderr (and optionally stdout) captured line
// by line, waits bounded by deadlines, and cleanup that cannot be forgotten.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/deadline.h"
#include "util/unique_fd.h"

namespace sluice::testing {

class ChildProcess {
 public:
  // Process state a parent (a shell, a service manager) can leave to the
  // program across execve, for tests of how it copes. Set in the child just
  // before execve; Spawn fails if the kernel refuses it.
  struct Inherited {
    std::vector<int> ignored_signals;      // set to SIG_IGN, which execve keeps
    std::optional<rlim_t> max_open_files;  // RLIMIT_NOFILE, soft and hard
    std::string stdin_file;                // stdin reads this file instead of /dev/null
    // stderr appends to this file (created if need be) instead of a pipe,
    // as a service manager's `2>>log` would; the output is then read from
    // the file as it grows (inotify), so Lines() and WaitForLine() work the
    // same, and it ends only with Terminate().
    std::string stderr_file;
  };

  struct Options {
    std::string program;            // absolute path, run with execve
    std::vector<std::string> args;  // argv[1..]
    std::vector<std::string> env;   // "NAME=value", added to or replacing the inherited ones
    bool capture_stdout = false;    // also capture stdout (otherwise inherited)
    Inherited inherited;            // default: nothing beyond what this process has
  };

  // Starts the program in a new process group of its own, stdin from
  // /dev/null. The child gets SIGKILL if the thread that spawned it exits, so
  // a crashed test leaves nothing behind. Fails if the program cannot be
  // executed.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(Options options);

  // Terminate().
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The first captured line (from the start) for which `matches` is true;
  // nullopt if the deadline passes or the output ends without one.
  std::optional<std::string> WaitForLine(const std::function<bool(std::string_view)>& matches,
                                         Deadline deadline) const;
  // The same, calling `meanwhile` every quarter second while it waits (a
  // test client's heartbeat, so the peer does not drop it for silence).
  std::optional<std::string> WaitForLine(const std::function<bool(std::string_view)>& matches,
                                         Deadline deadline,
                                         const std::function<void()>& meanwhile) const;
  // True once every writer has closed the output (the child and anything
  // that inherited its stderr exited), false at the deadline.
  bool WaitForOutputEnd(Deadline deadline) const;
  // Complete lines captured so far (a last unterminated line counts once the
  // output has ended).
  std::vector<std::string> Lines() const;
  std::string Output() const;  // Lines() joined with '\n', for failure messages

  // SIGKILLs the whole process group (anything the child started that stayed
  // in it), reaps the child if that has not happened yet, and stops reading
  // once the output still buffered is in. Lines() stay available. Idempotent.
  void Terminate();

  // Sends `sig` to the child only. Not allowed after it was reaped.
  absl::Status Kill(int sig);
  // Waits for the child to exit and reaps it (once; later calls return the
  // same status). Returns the raw waitpid status.
  absl::StatusOr<int> Wait(Deadline deadline);

 private:
  ChildProcess(pid_t pid, UniqueFd output, UniqueFd changes, UniqueFd stop_read,
               UniqueFd stop_write);
  void FollowFile();
  void ReadOutput();
  void AppendLocked(std::string_view bytes);

  const pid_t pid_;
  std::optional<int> wait_status_;  // set once reaped
  UniqueFd output_;                 // read end of the child's stderr pipe, or its log file
  UniqueFd changes_;                // inotify on that log file; invalid for a pipe
  UniqueFd stop_read_;              // becomes readable when the reader must stop
  UniqueFd stop_write_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> lines_;  // guarded by mutex_
  std::string partial_;             // guarded by mutex_
  bool output_ended_ = false;       // guarded by mutex_
  std::thread reader_;
};

// "exited with code 2", "killed by signal 9 (Killed)".
std::string DescribeWaitStatus(int status);

}  // namespace sluice::testing
