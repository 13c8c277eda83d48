#include "tests/support/broker_process.h"

#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

#ifndef SLUICE_BINARY
#error "SLUICE_BINARY must name the sluice executable (tests/CMakeLists.txt sets it)"
#endif

namespace sluice::testing {
namespace {

// The first `"name": <digits>` in a JSON text; good enough for flat log lines
// and the /healthz object without a JSON library in the tests.
std::optional<long> JsonNumberField(const std::string& json, const std::string& name) {
  std::smatch match;
  if (!std::regex_search(json, match, std::regex("\"" + name + "\"\\s*:\\s*(\\d+)"))) {
    return std::nullopt;
  }
  long value;
  if (!absl::SimpleAtoi(match[1].str(), &value)) return std::nullopt;
  return value;
}

bool IsListeningLine(std::string_view line) {
  static const std::regex kListening("\"event\"\\s*:\\s*\"listening\"");
  return std::regex_search(line.begin(), line.end(), kListening);
}

std::vector<std::string> SanitizerReports(const std::vector<std::string>& lines) {
  std::vector<std::string> reports;
  for (const std::string& line : lines) {
    if (line.find("ERROR: AddressSanitizer") != std::string::npos ||
        line.find("ERROR: LeakSanitizer") != std::string::npos ||
        line.find("runtime error:") != std::string::npos) {
      reports.push_back(line);
    }
  }
  return reports;
}

}  // namespace

std::string SluiceBinary() { return SLUICE_BINARY; }

absl::StatusOr<std::unique_ptr<BrokerProcess>> BrokerProcess::Start(
    const std::string& app_path, std::vector<std::string> extra_args, std::vector<std::string> env,
    Deadline deadline) {
  return StartBinary(SluiceBinary(), app_path, std::move(extra_args), std::move(env), deadline);
}

absl::StatusOr<std::unique_ptr<BrokerProcess>> BrokerProcess::StartBinary(
    const std::string& binary, const std::string& app_path, std::vector<std::string> extra_args,
    std::vector<std::string> env, Deadline deadline) {
  ChildProcess::Options spawn;
  spawn.program = binary;
  spawn.args = std::move(extra_args);
  spawn.env = std::move(env);
  return Spawn(std::move(spawn), app_path, deadline);
}

absl::StatusOr<std::unique_ptr<BrokerProcess>> BrokerProcess::StartInheriting(
    ChildProcess::Inherited inherited, const std::string& app_path,
    std::vector<std::string> extra_args, std::vector<std::string> env, Deadline deadline) {
  ChildProcess::Options spawn;
  spawn.program = SluiceBinary();
  spawn.args = std::move(extra_args);
  spawn.env = std::move(env);
  spawn.inherited = std::move(inherited);
  return Spawn(std::move(spawn), app_path, deadline);
}

// `spawn` holds the program, the extra arguments, the environment and the
// inherited state; the serve arguments are put in front here.
absl::StatusOr<std::unique_ptr<BrokerProcess>> BrokerProcess::Spawn(ChildProcess::Options spawn,
                                                                    const std::string& app_path,
                                                                    Deadline deadline) {
  std::vector<std::string> args = {"serve", app_path, "--host", "127.0.0.1", "--port", "0"};
  args.insert(args.end(), spawn.args.begin(), spawn.args.end());
  spawn.args = std::move(args);
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Spawn(std::move(spawn));
  if (!process.ok()) return process.status();

  std::optional<std::string> line = (*process)->WaitForLine(IsListeningLine, deadline);
  if (!line) {
    return absl::UnavailableError(
        absl::StrCat("sluice serve ", app_path,
                     " did not log \"event\":\"listening\"; its output:\n", (*process)->Output()));
  }
  std::optional<long> port = JsonNumberField(*line, "port");
  if (!port || *port <= 0 || *port > 65535) {
    return absl::DataLossError(absl::StrCat("no valid \"port\" in the listening line: ", *line));
  }
  return std::unique_ptr<BrokerProcess>(
      new BrokerProcess(*std::move(process), static_cast<uint16_t>(*port)));
}

namespace {

absl::Mutex g_brokers_mutex;
absl::flat_hash_map<uint16_t, pid_t> g_brokers ABSL_GUARDED_BY(g_brokers_mutex);

}  // namespace

std::optional<pid_t> BrokerPidForPort(uint16_t port) {
  absl::MutexLock lock(&g_brokers_mutex);
  auto it = g_brokers.find(port);
  if (it == g_brokers.end()) return std::nullopt;
  return it->second;
}

BrokerProcess::BrokerProcess(std::unique_ptr<ChildProcess> process, uint16_t port)
    : process_(std::move(process)), port_(port) {
  absl::MutexLock lock(&g_brokers_mutex);
  g_brokers[port_] = process_->pid();
}

BrokerProcess::~BrokerProcess() {
  {
    absl::MutexLock lock(&g_brokers_mutex);
    g_brokers.erase(port_);
  }
  process_->Terminate();
  std::vector<std::string> reports = SanitizerReports(process_->Lines());
  if (!reports.empty()) {
    ADD_FAILURE() << "sluice processes reported sanitizer errors:\n"
                  << absl::StrJoin(reports, "\n") << "\nfull output:\n"
                  << process_->Output();
  }
}

absl::StatusOr<HttpResponse> BrokerProcess::Healthz(Deadline deadline) const {
  return HttpGet(port_, "/healthz", deadline);
}

absl::StatusOr<int> BrokerProcess::SessionsFromHealthz(Deadline deadline) const {
  return NumberFromHealthz("sessions", deadline);
}

absl::StatusOr<int> BrokerProcess::WarmWorkersFromHealthz(Deadline deadline) const {
  return NumberFromHealthz("warm_workers", deadline);
}

absl::StatusOr<int> BrokerProcess::NumberFromHealthz(const std::string& name,
                                                     Deadline deadline) const {
  absl::StatusOr<HttpResponse> response = Healthz(deadline);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("/healthz answered ", response->status, ": ", response->body));
  }
  std::optional<long> number = JsonNumberField(response->body, name);
  if (!number) {
    return absl::DataLossError(absl::StrCat("no \"", name, "\" in /healthz: ", response->body));
  }
  return static_cast<int>(*number);
}

}  // namespace sluice::testing
