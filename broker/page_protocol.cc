#include "broker/page_protocol.h"

#include <capnp/serialize.h>
#include <string.h>

#include <cstring>
#include <vector>

#include "ipc/framing.h"
#include "ipc/text.h"
#include "ipc/worker.capnp.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

constexpr std::size_t kMaxWidgetIdBytes = 1024;
constexpr std::size_t kMaxTokenBytes = 256;
constexpr std::size_t kMaxFileNameBytes = 255;
constexpr std::size_t kMaxMimeTypeBytes = 255;

// Copies the fields the worker understands, and only those, so nothing a
// page smuggles into unknown fields reaches a worker.
absl::StatusOr<PageRequest> EncodeChange(ipc::WidgetChange::Reader change) {
  auto id = change.getWidgetId();
  if (id.size() == 0 || id.size() > kMaxWidgetIdBytes) {
    return absl::InvalidArgumentError("widgetChange needs a widget id of 1 to 1024 bytes");
  }
  capnp::MallocMessageBuilder message;
  auto out = message.initRoot<ipc::WorkerCommand>().initWidgetChange();
  out.setWidgetId(id);
  auto value = change.getValue();
  auto target = out.initValue();
  switch (value.which()) {
    case ipc::WidgetValue::CLICKED:
      target.setClicked();
      break;
    case ipc::WidgetValue::CHECKED:
      target.setChecked(value.getChecked());
      break;
    case ipc::WidgetValue::NUMBER:
      target.setNumber(value.getNumber());
      break;
    case ipc::WidgetValue::TEXT:
      target.setText(value.getText());
      break;
    case ipc::WidgetValue::INDEX:
      target.setIndex(value.getIndex());
      break;
    case ipc::WidgetValue::REMOVE_FILE:
      if (value.getRemoveFile().size() > kMaxWidgetIdBytes) {
        return absl::InvalidArgumentError("removeFile names a file id longer than 1024 bytes");
      }
      target.setRemoveFile(value.getRemoveFile());
      break;
    default:
      return absl::InvalidArgumentError("widgetChange has an unknown value kind");
  }
  return ChangeRequest{capnp::messageToFlatArray(message)};
}

absl::StatusOr<PageRequest> DecodeBegin(ipc::UploadBegin::Reader begin) {
  auto widget = begin.getWidgetId();
  if (widget.size() == 0 || widget.size() > kMaxWidgetIdBytes) {
    return absl::InvalidArgumentError("uploadBegin needs a widget id of 1 to 1024 bytes");
  }
  auto name = begin.getName();
  if (name.size() == 0 || name.size() > kMaxFileNameBytes) {
    return absl::InvalidArgumentError("uploadBegin needs a file name of 1 to 255 bytes");
  }
  if (begin.getType().size() > kMaxMimeTypeBytes) {
    return absl::InvalidArgumentError("uploadBegin has a MIME type longer than 255 bytes");
  }
  // Only the last path component: a name is never a path on the server.
  std::string_view base = ipc::ViewOf(name);
  if (auto slash = base.find_last_of("/\\"); slash != std::string_view::npos) {
    base = base.substr(slash + 1);
  }
  if (base.empty() || base.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("uploadBegin's file name is not a file name");
  }
  return UploadBeginRequest{begin.getUploadId(), std::string(ipc::ViewOf(widget)),
                            std::string(base), std::string(ipc::ViewOf(begin.getType())),
                            begin.getSize()};
}

// Copies the chunk's fields, and only those, into the worker's command.
PageRequest EncodeChunk(ipc::UploadChunk::Reader chunk) {
  auto data = chunk.getData();
  capnp::MallocMessageBuilder message(
      static_cast<unsigned>(data.size() / sizeof(capnp::word) + 16));
  auto out = message.initRoot<ipc::WorkerCommand>().initUploadChunk();
  out.setUploadId(chunk.getUploadId());
  out.setOffset(chunk.getOffset());
  out.setData(data);
  kj::Array<capnp::word> flat = capnp::messageToFlatArray(message);
  // The builder's segments held the bytes too.
  for (auto segment : message.getSegmentsForOutput()) {
    explicit_bzero(const_cast<capnp::word*>(segment.begin()), segment.size() * sizeof(capnp::word));
  }
  return UploadChunkRequest{chunk.getUploadId(), chunk.getOffset(), data.size(), std::move(flat)};
}

// Copies the query's fields, and only those. Its sense (does the element
// exist, is the window in range and small enough) is the worker's to judge:
// only it knows the element.
absl::StatusOr<PageRequest> EncodeQuery(ipc::Query::Reader query) {
  auto id = query.getElementId();
  if (id.size() == 0 || id.size() > kMaxWidgetIdBytes) {
    return absl::InvalidArgumentError("query needs an element id of 1 to 1024 bytes");
  }
  capnp::MallocMessageBuilder message;
  auto out = message.initRoot<ipc::WorkerCommand>().initQuery();
  out.setQueryId(query.getQueryId());
  out.setElementId(id);
  switch (query.which()) {
    case ipc::Query::ROWS: {
      auto rows = query.getRows();
      auto to = out.initRows();
      to.setBegin(rows.getBegin());
      to.setCount(rows.getCount());
      to.setSortColumn(rows.getSortColumn());
      to.setDescending(rows.getDescending());
      break;
    }
    case ipc::Query::DOWNLOAD:
      out.setDownload();
      break;
    case ipc::Query::POINTS: {
      auto points = query.getPoints();
      auto to = out.initPoints();
      to.setXMin(points.getXMin());
      to.setXMax(points.getXMax());
      to.setPixels(points.getPixels());
      break;
    }
    default:
      return absl::InvalidArgumentError("query has an unknown kind");
  }
  return QueryRequest{query.getQueryId(), std::string(ipc::ViewOf(id)),
                      capnp::messageToFlatArray(message)};
}

kj::Array<capnp::word> UploadIdCommand(std::uint32_t upload_id, bool end) {
  capnp::MallocMessageBuilder message;
  auto command = message.initRoot<ipc::WorkerCommand>();
  if (end) {
    command.setUploadEnd(upload_id);
  } else {
    command.setUploadAbort(upload_id);
  }
  return capnp::messageToFlatArray(message);
}

// Zeroes a decode buffer when it goes out of scope, however that happens.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::vector<capnp::word>& words) : words_(words) {}
  ~WipeOnExit() { explicit_bzero(words_.data(), words_.size() * sizeof(capnp::word)); }

 private:
  std::vector<capnp::word>& words_;
};

}  // namespace

absl::StatusOr<PageRequest> DecodePageMessage(std::string_view bytes, std::size_t max_bytes) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
    return absl::InvalidArgumentError("malformed message: not a Cap'n Proto message");
  }
  // Copy into word-aligned memory: the WebSocket buffer promises no alignment.
  std::vector<capnp::word> words(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.data(), bytes.data(), bytes.size());
  WipeOnExit wipe(words);
  try {
    kj::ArrayPtr<const capnp::word> view(words.data(), words.size());
    if (capnp::expectedSizeInWordsFromPrefix(view) != words.size()) {
      return absl::InvalidArgumentError("malformed message: length does not match its header");
    }
    capnp::FlatArrayMessageReader reader(view, ipc::UntrustedReaderOptions(max_bytes));
    auto message = reader.getRoot<ipc::PageMessage>();
    switch (message.which()) {
      case ipc::PageMessage::HELLO: {
        auto token = message.getHello().getReconnectToken();
        if (token.size() > kMaxTokenBytes)
          return absl::InvalidArgumentError("reconnect token too long");
        return HelloRequest{std::string(ipc::ViewOf(token))};
      }
      case ipc::PageMessage::WIDGET_CHANGE:
        return EncodeChange(message.getWidgetChange());
      case ipc::PageMessage::BYE:
        return ByeRequest{};
      case ipc::PageMessage::UPLOAD_BEGIN:
        return DecodeBegin(message.getUploadBegin());
      case ipc::PageMessage::UPLOAD_CHUNK:
        return EncodeChunk(message.getUploadChunk());
      case ipc::PageMessage::UPLOAD_END:
        return UploadEndRequest{message.getUploadEnd()};
      case ipc::PageMessage::UPLOAD_CANCEL:
        return UploadCancelRequest{message.getUploadCancel()};
      case ipc::PageMessage::QUERY:
        return EncodeQuery(message.getQuery());
      default:
        return absl::InvalidArgumentError("unknown message kind");
    }
  } catch (const kj::Exception& e) {
    return absl::InvalidArgumentError(StrCat("malformed message: ", e.getDescription().cStr()));
  }
}

Frame NoticeFrame(ipc::Notice::Kind kind, std::string_view text) {
  capnp::MallocMessageBuilder message;
  auto notice = message.initRoot<ipc::ServerMessage>().initNotice();
  notice.setKind(kind);
  notice.adoptMessage(ipc::NewText(notice, text));
  return FrameOf(message);
}

Frame QueuedFrame(std::uint32_t position, std::string_view text) {
  capnp::MallocMessageBuilder message;
  auto notice = message.initRoot<ipc::ServerMessage>().initNotice();
  notice.setKind(ipc::Notice::Kind::QUEUED);
  notice.setPosition(position);
  notice.adoptMessage(ipc::NewText(notice, text));
  return FrameOf(message);
}

Frame SessionFrame(std::string_view session_id, std::string_view token, bool resumed,
                   std::uint32_t upload_chunk_bytes, std::uint64_t max_upload_bytes) {
  capnp::MallocMessageBuilder message;
  auto session = message.initRoot<ipc::ServerMessage>().initSession();
  session.adoptSessionId(ipc::NewText(session, session_id));
  session.adoptReconnectToken(ipc::NewText(session, token));
  session.setResumed(resumed);
  session.setUploadChunkBytes(upload_chunk_bytes);
  session.setMaxUploadBytes(max_upload_bytes);
  return FrameOf(message);
}

Frame UploadStatusFrame(std::uint32_t upload_id, std::string_view widget_id,
                        ipc::UploadStatus::State state, std::uint64_t received,
                        std::string_view text) {
  capnp::MallocMessageBuilder message;
  auto status = message.initRoot<ipc::ServerMessage>().initUpload();
  status.setUploadId(upload_id);
  status.adoptWidgetId(ipc::NewText(status, widget_id));
  status.setState(state);
  status.setReceived(received);
  status.adoptMessage(ipc::NewText(status, text));
  return FrameOf(message);
}

Frame QueryErrorFrame(std::uint32_t query_id, std::string_view element_id, std::string_view text) {
  capnp::MallocMessageBuilder message;
  auto reply = message.initRoot<ipc::ServerMessage>().initReply();
  reply.setQueryId(query_id);
  reply.adoptElementId(ipc::NewText(reply, element_id));
  reply.adoptError(ipc::NewText(reply, text));
  return FrameOf(message);
}

kj::Array<capnp::word> StartCommand(std::string_view session_id, std::uint64_t max_upload_bytes) {
  capnp::MallocMessageBuilder message;
  auto start = message.initRoot<ipc::WorkerCommand>().initStart();
  start.adoptSessionId(ipc::NewText(start, session_id));
  start.setMaxUploadBytes(max_upload_bytes);
  return capnp::messageToFlatArray(message);
}

kj::Array<capnp::word> UploadBeginCommand(const UploadBeginRequest& begin) {
  capnp::MallocMessageBuilder message;
  auto out = message.initRoot<ipc::WorkerCommand>().initUploadBegin();
  out.setUploadId(begin.upload_id);
  out.adoptWidgetId(ipc::NewText(out, begin.widget_id));
  out.adoptName(ipc::NewText(out, begin.name));
  out.adoptType(ipc::NewText(out, begin.type));
  out.setSize(begin.size);
  return capnp::messageToFlatArray(message);
}

kj::Array<capnp::word> UploadEndCommand(std::uint32_t upload_id) {
  return UploadIdCommand(upload_id, /*end=*/true);
}

kj::Array<capnp::word> UploadAbortCommand(std::uint32_t upload_id) {
  return UploadIdCommand(upload_id, /*end=*/false);
}

kj::Array<capnp::word> ResyncCommand() {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::WorkerCommand>().setResync();
  return capnp::messageToFlatArray(message);
}

}  // namespace sluice::broker
