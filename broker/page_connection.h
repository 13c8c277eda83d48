// One page's WebSocket, driven as Beast's async server session is:
// accept -> read -> (handle) -> read ..., with an outgoing queue written one
// frame at a time. All frames are binary Cap'n Proto messages.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "broker/net.h"
#include "broker/worker_link.h"
#include "ipc/page.capnp.h"

namespace sluice::broker {

class Server;
class Session;

class PageConnection : public std::enable_shared_from_this<PageConnection> {
 public:
  PageConnection(tcp::socket socket, Server& server);

  // Completes the WebSocket handshake for `upgrade` and starts reading.
  void Run(http::request<http::string_body> upgrade);

  void Send(Frame frame);
  void SendNotice(ipc::Notice::Kind kind, std::string_view message);
  // Closes after the queued frames are written.
  void CloseWith(websocket::close_code code, std::string reason);

  void SetSession(std::shared_ptr<Session> session) { session_ = std::move(session); }
  std::size_t queued_bytes() const { return queued_bytes_; }

 private:
  void DoRead();
  void OnRead(boost::system::error_code ec);
  void Handle(std::string_view bytes);
  void DoWrite();
  void OnWrite(boost::system::error_code ec);
  void Fail(boost::system::error_code ec, std::string_view what);

  websocket::stream<beast::tcp_stream> ws_;
  Server& server_;
  beast::flat_buffer buffer_;
  asio::steady_timer hello_timer_;
  std::deque<Frame> outbox_;
  std::size_t queued_bytes_ = 0;
  std::shared_ptr<Session> session_;
  bool hello_seen_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool gone_ = false;
  websocket::close_reason close_reason_;
};

}  // namespace sluice::broker
