// `sluice serve APP.so` on a free loopback port, owned by a test.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/child_process.h"
#include "tests/support/deadline.h"
#include "tests/support/http_client.h"

namespace sluice::testing {

// Path of the sluice executable under test.
std::string SluiceBinary();

// The pid of the BrokerProcess of this test process that listens on
// `port`, if one does.
std::optional<pid_t> BrokerPidForPort(uint16_t port);

class BrokerProcess {
 public:
  // Runs `sluice serve app_path --host 127.0.0.1 --port 0 extra_args...`
  // (extra_args such as {"--workers", "1"}, env entries "NAME=value") and
  // waits for its "listening" log line. Fails (with the broker's output) if
  // it exits first or the deadline passes.
  static absl::StatusOr<std::unique_ptr<BrokerProcess>> Start(
      const std::string& app_path, std::vector<std::string> extra_args = {},
      std::vector<std::string> env = {}, Deadline deadline = After(kStartTimeout));

  // Stops the broker and everything in its process group, then fails the
  // running test if the broker, zygote or any worker printed a sanitizer
  // report (they all share the captured stderr).
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  // The same with another sluice executable (an installed one, say).
  static absl::StatusOr<std::unique_ptr<BrokerProcess>> StartBinary(
      const std::string& binary, const std::string& app_path,
      std::vector<std::string> extra_args = {}, std::vector<std::string> env = {},
      Deadline deadline = After(kStartTimeout));

  // The same, started in the process state `inherited` describes (ignored
  // signals, a descriptor limit), as a shell or service manager may leave it.
  static absl::StatusOr<std::unique_ptr<BrokerProcess>> StartInheriting(
      ChildProcess::Inherited inherited, const std::string& app_path,
      std::vector<std::string> extra_args = {}, std::vector<std::string> env = {},
      Deadline deadline = After(kStartTimeout));

  uint16_t port() const { return port_; }
  pid_t pid() const { return process_->pid(); }
  // The broker process itself: its log lines, Kill(), Wait().
  ChildProcess& process() { return *process_; }

  absl::StatusOr<HttpResponse> Healthz(Deadline deadline = After(kStepTimeout)) const;
  // The "sessions" figure of /healthz; fails unless the answer is 200 with it.
  absl::StatusOr<int> SessionsFromHealthz(Deadline deadline = After(kStepTimeout)) const;
  // The "warm_workers" figure (forked and ready), likewise.
  absl::StatusOr<int> WarmWorkersFromHealthz(Deadline deadline = After(kStepTimeout)) const;

 private:
  BrokerProcess(std::unique_ptr<ChildProcess> process, uint16_t port);
  static absl::StatusOr<std::unique_ptr<BrokerProcess>> Spawn(ChildProcess::Options spawn,
                                                              const std::string& app_path,
                                                              Deadline deadline);
  absl::StatusOr<int> NumberFromHealthz(const std::string& name, Deadline deadline) const;

  std::unique_ptr<ChildProcess> process_;  // killed with its process group on destruction
  uint16_t port_;
};

}  // namespace sluice::testing
