#include "worker/broker_channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "ipc/text.h"
#include "ipc/worker.capnp.h"
#include "util/log.h"
#include "util/poll_timeout.h"

namespace sluice::worker {

using runtime::Clicked;
using runtime::Command;
using runtime::OptionIndex;
using runtime::RemoveFile;
using runtime::ResyncCommand;
using runtime::StartCommand;
using runtime::UploadAbortCommand;
using runtime::UploadBeginCommand;
using runtime::UploadChunkCommand;
using runtime::UploadEndCommand;
using runtime::WidgetChangeCommand;
using runtime::WidgetInput;

namespace {

[[noreturn]] void BrokerGone(std::string_view why) {
  LogDebug("broker_gone", {{"why", why}});
  _exit(0);
}

WidgetInput DecodeValue(ipc::WidgetValue::Reader value) {
  switch (value.which()) {
    case ipc::WidgetValue::CLICKED:
      return Clicked{};
    case ipc::WidgetValue::CHECKED:
      return value.getChecked();
    case ipc::WidgetValue::NUMBER:
      return value.getNumber();
    case ipc::WidgetValue::TEXT:
      return std::string(ipc::ViewOf(value.getText()));
    case ipc::WidgetValue::INDEX:
      return OptionIndex{value.getIndex()};
    case ipc::WidgetValue::REMOVE_FILE:
      return RemoveFile{std::string(ipc::ViewOf(value.getRemoveFile()))};
  }
  // The broker only forwards known kinds; an unknown one reads as a click on
  // nothing and is rejected by validation.
  return OptionIndex{-1};
}

}  // namespace

BrokerChannel::BrokerChannel(UniqueFd fd, size_t max_message_bytes)
    : fd_(std::move(fd)), reader_(max_message_bytes), max_message_bytes_(max_message_bytes) {}

bool BrokerChannel::Fill(bool block) {
  for (;;) {
    auto space = reader_.WritableSpace();
    ssize_t n = ::recv(fd_.get(), space.data(), space.size(), block ? 0 : MSG_DONTWAIT);
    if (n > 0) {
      reader_.Commit(static_cast<size_t>(n));
      return true;
    }
    if (n == 0) BrokerGone("eof");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    BrokerGone("recv failed");
  }
}

std::optional<Command> BrokerChannel::NextDecoded() {
  for (;;) {
    auto next = reader_.Next();
    if (!next.ok()) {
      LogError("bad_command_frame", {{"error", next.status().message()}});
      _exit(3);
    }
    if (!next->has_value()) return std::nullopt;
    try {
      capnp::FlatArrayMessageReader message(**next,
                                            ipc::UntrustedReaderOptions(max_message_bytes_));
      auto command = message.getRoot<ipc::WorkerCommand>();
      switch (command.which()) {
        case ipc::WorkerCommand::START:
          return StartCommand{std::string(ipc::ViewOf(command.getStart().getSessionId())),
                              command.getStart().getMaxUploadBytes()};
        case ipc::WorkerCommand::WIDGET_CHANGE: {
          auto change = command.getWidgetChange();
          return WidgetChangeCommand{std::string(ipc::ViewOf(change.getWidgetId())),
                                     DecodeValue(change.getValue())};
        }
        case ipc::WorkerCommand::RESYNC:
          return ResyncCommand{};
        case ipc::WorkerCommand::UPLOAD_BEGIN: {
          auto begin = command.getUploadBegin();
          return UploadBeginCommand{begin.getUploadId(),
                                    std::string(ipc::ViewOf(begin.getWidgetId())),
                                    std::string(ipc::ViewOf(begin.getName())),
                                    std::string(ipc::ViewOf(begin.getType())), begin.getSize()};
        }
        case ipc::WorkerCommand::UPLOAD_CHUNK: {
          auto chunk = command.getUploadChunk();
          auto data = chunk.getData();
          return UploadChunkCommand{
              chunk.getUploadId(), chunk.getOffset(),
              std::span<const std::byte>(reinterpret_cast<const std::byte*>(data.begin()),
                                         data.size())};
        }
        case ipc::WorkerCommand::UPLOAD_END:
          return UploadEndCommand{command.getUploadEnd()};
        case ipc::WorkerCommand::UPLOAD_ABORT:
          return UploadAbortCommand{command.getUploadAbort()};
        case ipc::WorkerCommand::QUERY: {
          auto query = command.getQuery();
          runtime::QueryCommand decoded{query.getQueryId(),
                                        std::string(ipc::ViewOf(query.getElementId())),
                                        runtime::DownloadQuery{}};
          if (query.isRows()) {
            auto rows = query.getRows();
            decoded.what = runtime::RowsQuery{rows.getBegin(), rows.getCount(),
                                              rows.getSortColumn(), rows.getDescending()};
          } else if (query.isPoints()) {
            auto points = query.getPoints();
            decoded.what =
                runtime::PointsQuery{points.getXMin(), points.getXMax(), points.getPixels()};
          }
          return decoded;
        }
      }
      LogWarning("unknown_command");
    } catch (const kj::Exception& e) {
      LogWarning("undecodable_command", {{"error", e.getDescription().cStr()}});
    }
  }
}

Command BrokerChannel::Wait() {
  for (;;) {
    if (auto command = NextDecoded()) return std::move(*command);
    Fill(/*block=*/true);
  }
}

std::optional<Command> BrokerChannel::WaitUntil(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (std::optional<Command> command = Poll()) return command;
    int timeout_ms = PollTimeoutMs(deadline);
    if (timeout_ms == 0) return std::nullopt;
    pollfd readable{fd_.get(), POLLIN, 0};
    if (::poll(&readable, 1, timeout_ms) < 0 && errno != EINTR) BrokerGone("poll failed");
  }
}

std::optional<Command> BrokerChannel::Poll() {
  if (auto command = NextDecoded()) return command;
  while (Fill(/*block=*/false)) {
    if (auto command = NextDecoded()) return command;
  }
  return std::nullopt;
}

void BrokerChannel::Send(capnp::MessageBuilder& message) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  const kj::byte* p = bytes.begin();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::send(fd_.get(), p, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) BrokerGone("send failed");
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace sluice::worker
