#include "broker/page_protocol.h"

#include <capnp/serialize.h>

#include <cstring>
#include <vector>

#include "ipc/framing.h"
#include "ipc/worker.capnp.h"
#include "util/strings.h"

namespace sluice::broker {

namespace {

constexpr std::size_t kMaxWidgetIdBytes = 1024;
constexpr std::size_t kMaxTokenBytes = 256;

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
    default:
      return absl::InvalidArgumentError("widgetChange has an unknown value kind");
  }
  return ChangeRequest{capnp::messageToFlatArray(message)};
}

}  // namespace

absl::StatusOr<PageRequest> DecodePageMessage(std::string_view bytes, std::size_t max_bytes) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
    return absl::InvalidArgumentError("malformed message: not a Cap'n Proto message");
  }
  // Copy into word-aligned memory: the WebSocket buffer promises no alignment.
  std::vector<capnp::word> words(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.data(), bytes.data(), bytes.size());
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
        return HelloRequest{std::string(token.cStr(), token.size())};
      }
      case ipc::PageMessage::WIDGET_CHANGE:
        return EncodeChange(message.getWidgetChange());
      case ipc::PageMessage::BYE:
        return ByeRequest{};
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
  notice.setMessage(std::string(text).c_str());
  return FrameOf(message);
}

Frame SessionFrame(std::string_view session_id, std::string_view token, bool resumed) {
  capnp::MallocMessageBuilder message;
  auto session = message.initRoot<ipc::ServerMessage>().initSession();
  session.setSessionId(std::string(session_id).c_str());
  session.setReconnectToken(std::string(token).c_str());
  session.setResumed(resumed);
  return FrameOf(message);
}

kj::Array<capnp::word> StartCommand(std::string_view session_id) {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::WorkerCommand>().initStart().setSessionId(std::string(session_id).c_str());
  return capnp::messageToFlatArray(message);
}

kj::Array<capnp::word> ResyncCommand() {
  capnp::MallocMessageBuilder message;
  message.initRoot<ipc::WorkerCommand>().setResync();
  return capnp::messageToFlatArray(message);
}

}  // namespace sluice::broker
