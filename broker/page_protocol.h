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
struct UploadBeginRequest {
  std::uint32_t upload_id;
  std::string widget_id;
  std::string name;
  std::string type;
  std::uint64_t size;
};
// A chunk already re-encoded as the worker's uploadChunk command.
struct UploadChunkRequest {
  std::uint32_t upload_id;
  std::uint64_t offset;
  std::uint64_t bytes;
  kj::Array<capnp::word> worker_command;
};
struct UploadEndRequest {
  std::uint32_t upload_id;
};
struct UploadCancelRequest {
  std::uint32_t upload_id;
};
// A query already re-encoded as the worker's query command; its id and
// element for an error the broker answers itself (see QueryReplyFrame).
struct QueryRequest {
  std::uint32_t query_id;
  std::string element_id;
  kj::Array<capnp::word> worker_command;
};
using PageRequest =
    std::variant<HelloRequest, ChangeRequest, ByeRequest, UploadBeginRequest, UploadChunkRequest,
                 UploadEndRequest, UploadCancelRequest, QueryRequest>;

// `bytes` is one binary WebSocket message. The copy it decodes from is
// wiped before it is freed (it may hold an uploaded file's bytes).
absl::StatusOr<PageRequest> DecodePageMessage(std::string_view bytes, std::size_t max_bytes);

Frame NoticeFrame(ipc::Notice::Kind kind, std::string_view message);
// A `queued` notice: the page waits for a worker at `position` (1 = next).
Frame QueuedFrame(std::uint32_t position, std::string_view message);
Frame SessionFrame(std::string_view session_id, std::string_view token, bool resumed,
                   std::uint32_t upload_chunk_bytes, std::uint64_t max_upload_bytes);
Frame UploadStatusFrame(std::uint32_t upload_id, std::string_view widget_id,
                        ipc::UploadStatus::State state, std::uint64_t received,
                        std::string_view message = {});
// The error answer to a query the broker refuses (too many, app busy).
Frame QueryErrorFrame(std::uint32_t query_id, std::string_view element_id,
                      std::string_view message);
kj::Array<capnp::word> StartCommand(std::string_view session_id, std::uint64_t max_upload_bytes);
kj::Array<capnp::word> ResyncCommand();
kj::Array<capnp::word> UploadBeginCommand(const UploadBeginRequest& begin);
kj::Array<capnp::word> UploadEndCommand(std::uint32_t upload_id);
kj::Array<capnp::word> UploadAbortCommand(std::uint32_t upload_id);

}  // namespace sluice::broker
