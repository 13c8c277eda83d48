// Runs one `sluice ...` command (check-config, a serve that must refuse to
// start) to completion, for tests of exit codes and messages.
#pragma once

#include <sys/wait.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sluice::testing {

struct CommandOutcome {
  int status = 0;                  // raw waitpid status
  std::vector<std::string> lines;  // stderr (and stdout), line by line
  std::string output;              // the same, joined, for failure messages

  // The exit code, or -1 if a signal ended it.
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

// Runs the sluice under test with `args`, stdout captured with stderr
// (unless `capture_stdout` is false: then it goes to the test's own stdout
// and `lines` are stderr's alone). Fails if it does not exit within
// kStepTimeout or leaves a process of its group behind.
absl::StatusOr<CommandOutcome> RunSluice(std::vector<std::string> args, bool capture_stdout = true);

}  // namespace sluice::testing
