#include "tests/support/app_session.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/support/broker_process.h"
#include "tests/support/process_probe.h"

namespace sluice::testing {

absl::StatusOr<std::unique_ptr<AppSession>> AppSession::Open(uint16_t port,
                                                             std::string_view reconnect_token,
                                                             Deadline deadline,
                                                             std::string_view cookie,
                                                             std::string_view origin) {
  std::unique_ptr<AppSession> session(new AppSession());
  session->port_ = port;
  session->client_.SetCookie(std::string(cookie));
  session->client_.SetOrigin(std::string(origin));
  if (absl::Status s = session->client_.Connect(port, deadline); !s.ok()) return s;
  if (absl::Status s = session->client_.SendHello(reconnect_token, deadline); !s.ok()) return s;
  if (absl::Status s = session->page_.RunUntilFinished(session->client_, deadline); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(s.message(), "\n", session->page_.DebugString()));
  }
  if (!session->page_.session()) {
    return absl::DataLossError("a run arrived before the session answer to hello");
  }
  return session;
}

absl::Status AppSession::Send(std::string_view label, const WidgetInput& value) {
  std::optional<WidgetInfo> widget = page_.FindWidget(label);
  if (!widget) {
    return absl::NotFoundError(absl::StrCat("no widget labelled \"", std::string(label),
                                            "\" on the page\n", page_.DebugString()));
  }
  return client_.SendWidgetChange(widget->id, value);
}

absl::Status AppSession::Change(std::string_view label, const WidgetInput& value,
                                Deadline deadline) {
  if (absl::Status s = Send(label, value); !s.ok()) return s;
  if (absl::Status s = page_.RunUntilFinished(client_, deadline); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(s.message(), "\n", page_.DebugString()));
  }
  return absl::OkStatus();
}

std::optional<pid_t> AppSession::ShownPid() const {
  std::optional<std::string> text = page_.TextStartingWith("pid: ");
  int pid;
  if (!text || !absl::SimpleAtoi(text->substr(5), &pid) || pid <= 0) {
    return std::nullopt;
  }
  return pid;
}

std::optional<pid_t> AppSession::WorkerPid() const {
  std::optional<pid_t> shown = ShownPid();
  if (!shown) return std::nullopt;
  std::optional<pid_t> broker = BrokerPidForPort(port_);
  if (!broker) return shown;
  return DescendantByInnerPid(*broker, *shown);
}

}  // namespace sluice::testing
