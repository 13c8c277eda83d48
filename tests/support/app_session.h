// One viewer's tab on a test app: a connection, the page it shows, and the
// steps tests repeat (open, change a widget and wait for the rerun).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "tests/support/deadline.h"
#include "tests/support/page_model.h"
#include "tests/support/ws_client.h"

namespace sluice::testing {

class AppSession {
 public:
  // Connects, says hello (with `reconnect_token` to resume a session) and
  // waits for the session answer and the first finished run. `cookie` and
  // `origin`, if set, go with the WebSocket handshake (WsClient::SetCookie,
  // WsClient::SetOrigin).
  static absl::StatusOr<std::unique_ptr<AppSession>> Open(uint16_t port,
                                                          std::string_view reconnect_token = "",
                                                          Deadline deadline = After(kStepTimeout),
                                                          std::string_view cookie = "",
                                                          std::string_view origin = "");

  WsClient& client() { return client_; }
  PageModel& page() { return page_; }
  const PageModel& page() const { return page_; }

  // Sends `value` to the widget labelled `label` without waiting.
  absl::Status Send(std::string_view label, const WidgetInput& value);
  // Sends `value` to the widget labelled `label` and waits for the next
  // finished run.
  absl::Status Change(std::string_view label, const WidgetInput& value,
                      Deadline deadline = After(kStepTimeout));
  absl::Status Click(std::string_view label, Deadline deadline = After(kStepTimeout)) {
    return Change(label, WidgetInput::Click(), deadline);
  }

  // The worker's pid as the test sees it, from the "pid: N" text each test
  // app shows first. Under --sandbox=strict the app's getpid() counts in
  // the zygote's pid namespace: then it is translated (/proc/PID/status
  // NSpid) among the descendants of the broker that serves this port.
  std::optional<pid_t> WorkerPid() const;
  // The "pid: N" figure itself: the pid as the worker and its siblings see it.
  std::optional<pid_t> ShownPid() const;

 private:
  AppSession() = default;
  WsClient client_;
  PageModel page_;
  uint16_t port_ = 0;
};

}  // namespace sluice::testing
