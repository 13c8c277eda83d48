// The worker's end of its session socket to the broker. Commands arrive as
// WorkerCommand frames; the worker answers with ServerMessage frames that the
// broker forwards to the page unchanged. Single-threaded, like the worker.
#pragma once

#include <capnp/message.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "ipc/framing.h"
#include "util/unique_fd.h"

namespace sluice::worker {

// A widget value as the viewer sent it (WidgetValue in page.capnp).
struct Clicked {};
struct OptionIndex {
  int index;
};
struct RemoveFile {
  std::string file_id;
};
using WidgetInput = std::variant<Clicked, bool, double, std::string, OptionIndex, RemoveFile>;

struct StartCommand {
  std::string session_id;
  std::uint64_t max_upload_bytes = 0;
};
struct WidgetChangeCommand {
  std::string widget_id;
  WidgetInput value;
};
struct ResyncCommand {};
struct UploadBeginCommand {
  std::uint32_t upload_id;
  std::string widget_id;
  std::string name;
  std::string type;
  std::uint64_t size;
};
// `data` points into the channel's receive buffer: valid until the next
// command is read, and to be wiped with BrokerChannel::WipeLast() once
// copied (it is part of an uploaded file).
struct UploadChunkCommand {
  std::uint32_t upload_id;
  std::uint64_t offset;
  std::span<const std::byte> data;
};
struct UploadEndCommand {
  std::uint32_t upload_id;
};
struct UploadAbortCommand {
  std::uint32_t upload_id;
};
using Command = std::variant<StartCommand, WidgetChangeCommand, ResyncCommand, UploadBeginCommand,
                             UploadChunkCommand, UploadEndCommand, UploadAbortCommand>;

class BrokerChannel {
 public:
  BrokerChannel(UniqueFd fd, size_t max_message_bytes);

  // Blocks for the next command. When the broker has gone (EOF or error) the
  // worker has nothing left to do: the process exits.
  Command Wait();
  // The next command if one has fully arrived, without blocking.
  std::optional<Command> Poll();
  // Writes one whole frame, blocking; exits the process if the broker is gone.
  void Send(capnp::MessageBuilder& message);
  // The socket, for poll(); commands are read only through Wait/Poll.
  int fd() const { return fd_.get(); }
  // Zeroes the bytes of the command read last (see UploadChunkCommand).
  void WipeLast() { reader_.WipeLast(); }

 private:
  // Reads what is available; blocking or not. Returns false if nothing came.
  bool Fill(bool block);
  std::optional<Command> NextDecoded();

  UniqueFd fd_;
  ipc::FrameReader reader_;
  size_t max_message_bytes_;
};

}  // namespace sluice::worker
