// A WebSocket client that speaks the page protocol (ipc/page.capnp) to a
// broker on loopback. Every operation is bounded by a deadline; after a
// deadline passes the connection is unusable (the socket is closed).
// Not thread-safe: one test thread drives one client.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"
#include "ipc/page.capnp.h"
#include "tests/support/deadline.h"
#include "tests/support/owned_message.h"

namespace sluice::testing {

// A widget's new value, one factory per WidgetValue kind in ipc/page.capnp.
class WidgetInput {
 public:
  static WidgetInput Click() { return WidgetInput(Clicked{}); }
  static WidgetInput Checked(bool checked) { return WidgetInput(checked); }
  static WidgetInput Number(double number) { return WidgetInput(number); }
  static WidgetInput Text(std::string text) { return WidgetInput(std::move(text)); }
  static WidgetInput Index(int32_t index) { return WidgetInput(index); }
  static WidgetInput RemoveFile(std::string file_id) {
    return WidgetInput(FileId{std::move(file_id)});
  }

  void WriteTo(ipc::WidgetValue::Builder value) const;

 private:
  struct Clicked {};
  struct FileId {
    std::string id;
  };
  using Value = std::variant<Clicked, bool, double, std::string, int32_t, FileId>;
  explicit WidgetInput(Value value) : value_(std::move(value)) {}
  Value value_;
};

// One thing received: a server message, or the end of the connection.
struct Incoming {
  std::optional<Owned<ipc::ServerMessage>> message;  // empty when closed
  bool closed = false;
  // The code of the server's close frame, or 1006 if the connection ended
  // without one; and the reason text.
  uint16_t close_code = 0;
  std::string close_reason;
};

class WsClient {
 public:
  WsClient();
  ~WsClient();  // closes the socket without a WebSocket close (like Drop())
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // A Cookie header for the handshake of the next Connect, as a browser
  // sends the cookies of the page's origin (a load balancer's stickiness
  // cookie, say). Empty: none.
  void SetCookie(std::string cookie);
  // An Origin header for the handshake of the next Connect, as a browser
  // sends the origin of the page that opens the socket
  // ("http://127.0.0.1:8501"). Empty: none, as non-browser clients send.
  void SetOrigin(std::string origin);
  // SO_RCVBUF for the socket of the next Connect (set before connecting,
  // so the kernel's window follows it): a small one makes a client that
  // does not read hold little. 0: the kernel's default.
  void SetReceiveBufferBytes(int bytes);

  // TCP connect to 127.0.0.1:port and the WebSocket handshake on /_sluice/ws.
  // A handshake the server answers with an HTTP error is PermissionDenied
  // for 403, Unavailable otherwise, naming the status.
  absl::Status Connect(uint16_t port, Deadline deadline = After(kStepTimeout));

  absl::Status SendHello(std::string_view reconnect_token = "",
                         Deadline deadline = After(kStepTimeout));
  absl::Status SendWidgetChange(std::string_view widget_id, const WidgetInput& value,
                                Deadline deadline = After(kStepTimeout));
  absl::Status SendBye(Deadline deadline = After(kStepTimeout));
  // The upload messages of ipc/page.capnp, exactly as given (tests send
  // broken streams on purpose).
  absl::Status SendUploadBegin(uint32_t upload_id, std::string_view widget_id,
                               std::string_view name, std::string_view type, uint64_t size,
                               Deadline deadline = After(kStepTimeout));
  absl::Status SendUploadChunk(uint32_t upload_id, uint64_t offset, std::string_view data,
                               Deadline deadline = After(kStepTimeout));
  absl::Status SendUploadEnd(uint32_t upload_id, Deadline deadline = After(kStepTimeout));
  absl::Status SendUploadCancel(uint32_t upload_id, Deadline deadline = After(kStepTimeout));
  // A query for element `element_id`: rows [begin, begin + count) in the
  // order of `sort_column` (-1: the frame's own), a download, or points.
  absl::Status SendRowsQuery(uint32_t query_id, std::string_view element_id, uint64_t begin,
                             uint32_t count, int32_t sort_column = -1, bool descending = false,
                             Deadline deadline = After(kStepTimeout));
  absl::Status SendDownloadQuery(uint32_t query_id, std::string_view element_id,
                                 Deadline deadline = After(kStepTimeout));
  // A chart's points in [x_min, x_max] for a plot `pixels` wide.
  absl::Status SendPointsQuery(uint32_t query_id, std::string_view element_id, double x_min,
                               double x_max, uint32_t pixels,
                               Deadline deadline = After(kStepTimeout));
  // Any bytes as one binary (or text) frame.
  absl::Status SendRaw(std::string_view bytes, bool binary = true,
                       Deadline deadline = After(kStepTimeout));

  // An unsolicited pong (RFC 6455 allows one as a heartbeat): traffic that
  // keeps the connection alive without reading anything.
  absl::Status SendPong(Deadline deadline = After(kStepTimeout));

  // The WebSocket closing handshake with `code` (1000: normal closure).
  absl::Status Close(uint16_t code = 1000, Deadline deadline = After(kStepTimeout));
  // Closes the TCP connection without a closing handshake, as a network drop
  // looks to the server.
  void Drop();
  // Shuts down only the sending direction of the TCP connection (a
  // half-close: the server reads end-of-stream, no WebSocket close); this
  // side can still receive.
  absl::Status HalfClose();
  // This side's port, which names the connection on the server's side too;
  // 0 before Connect.
  uint16_t local_port() const;

  // The next message, decoded and copied; or Incoming{closed} when the
  // server closed the connection. Fails on a deadline or an undecodable frame.
  absl::StatusOr<Incoming> Receive(Deadline deadline = After(kStepTimeout));
  // Reads at most `max_bytes` more of the next message (or of the one an
  // earlier ReadSome began), as a page on a slow link does: the server's
  // writes to it progress a little at a time. True once that message is
  // whole; Receive returns it (and finishes one ReadSome began). Fails on
  // the deadline or if the connection ends (the connection is then unusable).
  absl::StatusOr<bool> ReadSome(size_t max_bytes, Deadline deadline = After(kStepTimeout));

 private:
  struct Impl;
  absl::Status SendMessage(capnp::MessageBuilder& message, Deadline deadline);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::testing
