#include "tests/service/haproxy_process.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/support/http_client.h"
#include "tests/support/process_probe.h"
#include "util/unique_fd.h"

namespace sluice::testing {

namespace fs = std::filesystem;

namespace {

// The shipped config with `bind` on 127.0.0.1:port and the n-th `server`
// line on broker_ports[n].
absl::StatusOr<std::string> Rewrite(const std::string& config_path, uint16_t port,
                                    const std::vector<uint16_t>& broker_ports) {
  std::ifstream in(config_path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", config_path));
  std::string out, line;
  std::size_t servers = 0;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first, name, address;
    words >> first;
    if (first == "bind") {
      line = absl::StrCat("    bind 127.0.0.1:", port);
    } else if (first == "server" && words >> name >> address) {
      if (servers >= broker_ports.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat(config_path, " has more server lines than brokers"));
      }
      std::string rest;
      std::getline(words, rest);
      line = absl::StrCat("    server ", name, " 127.0.0.1:", broker_ports[servers++], rest);
    }
    absl::StrAppend(&out, line, "\n");
  }
  if (servers != broker_ports.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        config_path, " has ", servers, " server lines for ", broker_ports.size(), " brokers"));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HaproxyProcess>> HaproxyProcess::Start(
    const std::string& config_path, const std::vector<uint16_t>& broker_ports, Deadline deadline) {
  absl::StatusOr<uint16_t> port = FreeLoopbackPort();
  if (!port.ok()) return port.status();
  absl::StatusOr<std::string> config = Rewrite(config_path, *port, broker_ports);
  if (!config.ok()) return config.status();

  std::string dir_template = (fs::temp_directory_path() / "sluice-haproxy-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  std::string dir = dir_template;
  std::string file = dir + "/haproxy.cfg";
  std::ofstream(file) << *config;

  ChildProcess::Options options;
  options.program = kHaproxyBinary;
  options.args = {"-db", "-f", file};
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Spawn(options);
  if (!process.ok()) {
    fs::remove_all(dir);
    return process.status();
  }
  std::unique_ptr<HaproxyProcess> haproxy(new HaproxyProcess(*std::move(process), *port, dir));
  bool up = WaitUntil(
      [&] {
        if (!ProcessAlive(haproxy->process().pid())) return true;  // reported below
        absl::StatusOr<HttpResponse> health = HttpGet(*port, "/healthz", After(kStepTimeout));
        return health.ok() && health->status == 200;
      },
      deadline);
  if (!up || !ProcessAlive(haproxy->process().pid())) {
    return absl::UnavailableError(absl::StrCat("haproxy did not start serving on port ", *port,
                                               ":\n", haproxy->process().Output(), "\nconfig:\n",
                                               *config));
  }
  return haproxy;
}

HaproxyProcess::~HaproxyProcess() {
  process_->Terminate();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

}  // namespace sluice::testing
