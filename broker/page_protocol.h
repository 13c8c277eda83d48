// What the broker reads from and writes to pages itself (everything else is
// forwarded between page and worker untouched). Decoding is defensive: any
// message a page sends either decodes into one of these or yields a one-line
// error for a badInput notice.
#pragma once

#include <capnp/message.h>

#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"
#include "broker/frame.h"
#include "ipc/page.capnp.h"

namespace sluice::broker {

struct HelloRequest {
  std::string reconnect_token;
};
// A widget change already re-encoded as a WorkerCommand for the worker.
struct ChangeRequest {
  kj::Array<capnp::word> worker_command;
};
struct ByeRequest {};
using PageRequest = std::variant<HelloRequest, ChangeRequest, ByeRequest>;

// `bytes` is one binary WebSocket message.
absl::StatusOr<PageRequest> DecodePageMessage(std::string_view bytes, std::size_t max_bytes);

Frame NoticeFrame(ipc::Notice::Kind kind, std::string_view message);
Frame SessionFrame(std::string_view session_id, std::string_view token, bool resumed);
kj::Array<capnp::word> StartCommand(std::string_view session_id);
kj::Array<capnp::word> ResyncCommand();

}  // namespace sluice::broker
