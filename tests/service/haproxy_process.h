// HAProxy (Debian's haproxy) in the foreground in front of brokers on
// loopback, owned by a test: the shipped examples/haproxy/sluice.cfg with
// its listen address and broker addresses replaced by free loopback ports.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/service/loopback_port.h"
#include "tests/support/child_process.h"
#include "tests/support/deadline.h"

namespace sluice::testing {

inline constexpr char kHaproxyBinary[] = "/usr/sbin/haproxy";

class HaproxyProcess {
 public:
  // Rewrites `config_path` for `broker_ports` (b1, b2, ... in the order of
  // its `server` lines) into a temporary directory, runs `haproxy -db -f`
  // on it and waits until it answers GET /healthz with 200 (which it
  // forwards to a broker). Fails with HAProxy's output if it exits first.
  static absl::StatusOr<std::unique_ptr<HaproxyProcess>> Start(
      const std::string& config_path, const std::vector<uint16_t>& broker_ports,
      Deadline deadline = After(kStartTimeout));

  // Stops HAProxy and removes the temporary directory.
  ~HaproxyProcess();
  HaproxyProcess(const HaproxyProcess&) = delete;
  HaproxyProcess& operator=(const HaproxyProcess&) = delete;

  uint16_t port() const { return port_; }
  ChildProcess& process() { return *process_; }

 private:
  HaproxyProcess(std::unique_ptr<ChildProcess> process, uint16_t port, std::string dir)
      : process_(std::move(process)), port_(port), dir_(std::move(dir)) {}

  std::unique_ptr<ChildProcess> process_;
  uint16_t port_;
  std::string dir_;
};

}  // namespace sluice::testing
