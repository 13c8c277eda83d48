// SIGHUP: re-reads the settings the broker was started with (the --config
// file, then the same command-line flags on top), applies the live ones to
// the running server, and logs one line saying what changed and what needs
// a restart. A file that no longer parses is logged and changes nothing.
#pragma once

#include <string>
#include <vector>

#include "broker/net.h"
#include "broker/options.h"

namespace sluice::broker {

class Server;

class SettingsReloader {
 public:
  // `args` are the arguments after `serve`; `started_with` what they gave
  // at start (before the sandbox level was chosen). `server` must outlive
  // this object; both run on `io`'s one thread.
  SettingsReloader(asio::io_context& io, std::vector<std::string> args, ServeOptions started_with,
                   Server& server);

  // Starts handling SIGHUP (until the io_context stops).
  void Start();

 private:
  void Wait();
  void Reload();

  asio::signal_set signals_;
  std::vector<std::string> args_;
  ServeOptions current_;  // as parsed, with the live settings applied so far
  Server& server_;
};

}  // namespace sluice::broker
