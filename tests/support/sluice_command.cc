#include "tests/support/sluice_command.h"

#include "absl/strings/str_cat.h"
#include "tests/support/broker_process.h"
#include "tests/support/child_process.h"
#include "tests/support/process_probe.h"

namespace sluice::testing {

absl::StatusOr<CommandOutcome> RunSluice(std::vector<std::string> args, bool capture_stdout) {
  ChildProcess::Options options;
  options.program = SluiceBinary();
  options.args = std::move(args);
  options.capture_stdout = capture_stdout;
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Spawn(std::move(options));
  if (!process.ok()) return process.status();
  absl::StatusOr<int> status = (*process)->Wait(After(kStepTimeout));
  if (!status.ok()) {
    return absl::Status(status.status().code(), absl::StrCat(status.status().message(),
                                                             "; output:\n", (*process)->Output()));
  }
  if (std::vector<pid_t> left = ProcessesInGroup((*process)->pid()); !left.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(left.size(), " processes outlived sluice"));
  }
  (*process)->WaitForOutputEnd(After(kStepTimeout));
  return CommandOutcome{*status, (*process)->Lines(), (*process)->Output()};
}

}  // namespace sluice::testing
