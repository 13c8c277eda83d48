// What an AppRunner hears from its session and how it answers: commands in
// (decoded from the broker's WorkerCommand frames), ServerMessage frames out
// (forwarded to the page unchanged). The worker's implementation is a socket
// to the broker (worker/broker_channel.h); unit tests use a fake.
// Single-threaded, like the runner.
#pragma once

#include <capnp/message.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>

namespace sluice::runtime {

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
// command is read, and to be wiped with Channel::WipeLast() once
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
// A page's query for a shown element (Query in page.capnp).
struct RowsQuery {
  std::uint64_t begin = 0;
  std::uint32_t count = 0;
  std::int32_t sort_column = -1;  // -1: the frame's own order
  bool descending = false;
};
struct DownloadQuery {};
struct PointsQuery {
  double x_min = 0;
  double x_max = 0;
  std::uint32_t pixels = 0;
};
struct QueryCommand {
  std::uint32_t query_id = 0;
  std::string element_id;
  std::variant<RowsQuery, DownloadQuery, PointsQuery> what;
};
using Command =
    std::variant<StartCommand, WidgetChangeCommand, ResyncCommand, UploadBeginCommand,
                 UploadChunkCommand, UploadEndCommand, UploadAbortCommand, QueryCommand>;

class Channel {
 public:
  virtual ~Channel() = default;

  // Blocks for the next command. When the other end has gone the session has
  // nothing left to do: implementations do not return then (the worker exits).
  virtual Command Wait() = 0;
  // Like Wait(), but gives up at `deadline`: nullopt if no whole command had
  // arrived by then. Gone as for Wait().
  virtual std::optional<Command> WaitUntil(std::chrono::steady_clock::time_point deadline) = 0;
  // The next command if one has fully arrived, without blocking.
  virtual std::optional<Command> Poll() = 0;
  // Sends one whole ServerMessage frame.
  virtual void Send(capnp::MessageBuilder& message) = 0;
  // A descriptor that becomes readable when a command may be waiting, for
  // poll() beside an app's own descriptor; -1 if there is none.
  virtual int fd() const = 0;
  // Zeroes the bytes of the command read last (see UploadChunkCommand).
  virtual void WipeLast() = 0;
};

}  // namespace sluice::runtime
