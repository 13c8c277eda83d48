// A forked copy of the test process that runs one function: the stand-in for
// a worker in the arena's cross-process tests. Fork only while the test is
// single-threaded.
#pragma once

#include <sys/types.h>

#include <functional>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "tests/support/deadline.h"
#include "util/unique_fd.h"

namespace sluice::shm_cache::testing {

class ForkedChild {
 public:
  // Forks; the child runs `body` and leaves with _exit(body()) (no atexit
  // handlers, no GoogleTest teardown), so report a failure by exit code and a
  // line on stderr. The child gets SIGKILL if the test process dies.
  static absl::StatusOr<ForkedChild> Start(const std::function<int()>& body);

  ForkedChild(ForkedChild&& other) noexcept;
  ForkedChild& operator=(ForkedChild&&) = delete;
  ForkedChild(const ForkedChild&) = delete;
  // SIGKILLs the child and reaps it, unless Wait() already reaped it.
  ~ForkedChild();

  pid_t pid() const { return pid_; }
  // Readable once the child has exited (poll it with others).
  int pidfd() const { return pidfd_.get(); }
  absl::Status Kill(int signal);
  // Waits for the child to end and reaps it; returns the waitpid status.
  // DeadlineExceeded if it is still running at `deadline`.
  absl::StatusOr<int> Wait(sluice::testing::Deadline deadline);

 private:
  ForkedChild(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}

  pid_t pid_ = -1;
  UniqueFd pidfd_;  // readable once the child has exited
  bool reaped_ = false;
};

// "exited with 3", "killed by signal 9 (Killed)".
std::string DescribeWaitStatus(int status);

// A pipe, each end closed exactly once.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
  static absl::StatusOr<Pipe> Create();
};

// Writes all of `bytes` (a record up to PIPE_BUF is written atomically).
bool WriteAll(int fd, std::span<const std::byte> bytes);
// Reads exactly `bytes.size()` bytes, waiting for them until `deadline`.
// NotFound if the writer closed the pipe first.
absl::Status ReadExactly(int fd, std::span<std::byte> bytes, sluice::testing::Deadline deadline);

}  // namespace sluice::shm_cache::testing
