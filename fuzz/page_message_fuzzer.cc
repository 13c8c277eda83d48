// A page's WebSocket messages as the broker meets them: each record of the
// input (fuzz/records.h) is one binary message, decoded by
// DecodePageMessage with the default --max-message-kb and then handled the
// way PageConnection::Handle and Session::Upload do, without sockets: the
// hello/session state, the notice a bad message gets, the upload gate with
// the default limits, and each command forwarded to the worker, decoded
// back as the worker reads it.
#include <capnp/serialize.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "broker/options.h"
#include "broker/page_protocol.h"
#include "broker/upload_gate.h"
#include "fuzz/records.h"
#include "ipc/framing.h"
#include "ipc/worker.capnp.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {
namespace {

const ServeOptions kDefaults;
const std::size_t kMaxMessageBytes = kDefaults.max_message_kb * 1024;

// The worker's first look at a command (worker/broker_channel.cc): the same
// reader limits, the root and its union tag.
void WorkerReads(const kj::Array<capnp::word>& command) {
  capnp::FlatArrayMessageReader message(command, ipc::UntrustedReaderOptions(kMaxMessageBytes));
  auto root = message.getRoot<ipc::WorkerCommand>();
  if (root.which() == ipc::WorkerCommand::WIDGET_CHANGE) {
    auto change = root.getWidgetChange();
    // What the broker forwards is never empty, never unbounded.
    if (change.getWidgetId().size() == 0 || change.getWidgetId().size() > 1024) std::abort();
  }
}

// One page connection and, after its hello, its session.
class Page {
 public:
  // False once the page is gone (closed or dropped).
  bool Handle(std::string_view bytes) {
    auto request = DecodePageMessage(bytes, kMaxMessageBytes);
    if (!request.ok()) {
      NoticeFrame(ipc::Notice::Kind::BAD_INPUT, ToStd(request.status().message()));
      return true;
    }
    if (auto* hello = std::get_if<HelloRequest>(&*request)) {
      if (hello_seen_) {
        NoticeFrame(ipc::Notice::Kind::BAD_INPUT, "hello was already sent on this connection");
        return true;
      }
      hello_seen_ = true;
      SessionFrame("fuzz-session", hello->reconnect_token, !hello->reconnect_token.empty(),
                   uploads_.limits().chunk_bytes, uploads_.limits().max_file_bytes);
      WorkerReads(StartCommand("fuzz-session", uploads_.limits().max_file_bytes));
      return true;
    }
    if (!hello_seen_) {
      NoticeFrame(ipc::Notice::Kind::BAD_INPUT, "send hello first");
      return true;
    }
    if (auto* change = std::get_if<ChangeRequest>(&*request)) {
      WorkerReads(change->worker_command);
    } else if (std::holds_alternative<ByeRequest>(*request)) {
      for (std::uint32_t id : uploads_.CloseAll()) WorkerReads(UploadAbortCommand(id));
      return false;
    } else if (auto* begin = std::get_if<UploadBeginRequest>(&*request)) {
      UploadVerdict verdict =
          uploads_.Begin(begin->upload_id, begin->widget_id, begin->name, begin->size);
      if (verdict.action == UploadVerdict::Action::kForward) {
        WorkerReads(UploadBeginCommand(*begin));
      } else {
        Refuse(begin->upload_id, verdict);
      }
    } else if (auto* chunk = std::get_if<UploadChunkRequest>(&*request)) {
      UploadVerdict verdict = uploads_.Chunk(chunk->upload_id, chunk->offset, chunk->bytes);
      if (verdict.action == UploadVerdict::Action::kForward) {
        WorkerReads(chunk->worker_command);
        UploadStatusFrame(chunk->upload_id, verdict.widget_id, ipc::UploadStatus::State::PROGRESS,
                          verdict.received);
      } else {
        Refuse(chunk->upload_id, verdict);
      }
    } else if (auto* end = std::get_if<UploadEndRequest>(&*request)) {
      UploadVerdict verdict = uploads_.End(end->upload_id);
      if (verdict.action == UploadVerdict::Action::kForward) {
        WorkerReads(UploadEndCommand(end->upload_id));
      } else {
        Refuse(end->upload_id, verdict);
      }
    } else if (auto* cancel = std::get_if<UploadCancelRequest>(&*request)) {
      if (uploads_.Cancel(cancel->upload_id).abort_worker) {
        WorkerReads(UploadAbortCommand(cancel->upload_id));
      }
    }
    if (uploads_.open_uploads() > uploads_.limits().max_open) std::abort();
    return true;
  }

 private:
  void Refuse(std::uint32_t upload_id, const UploadVerdict& verdict) {
    if (verdict.abort_worker) WorkerReads(UploadAbortCommand(upload_id));
    if (verdict.action != UploadVerdict::Action::kFail) return;
    UploadStatusFrame(upload_id, verdict.widget_id, ipc::UploadStatus::State::FAILED, 0,
                      verdict.message);
  }

  bool hello_seen_ = false;
  UploadGate uploads_{UploadLimitsFor(kDefaults.max_message_kb << 10,
                                      std::uint64_t{kDefaults.max_upload_mb} << 20)};
};

}  // namespace
}  // namespace sluice::broker

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sluice::SetLogLevel(sluice::LogLevel::kError);  // a log line per bad message is noise here
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sluice::fuzz::Records records(data, size);
  sluice::broker::Page page;
  std::string_view message;
  while (records.Next(&message) && page.Handle(message)) {
  }
  return 0;
}
