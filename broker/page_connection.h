// One page's WebSocket, driven as Beast's async server session is:
// accept -> read -> (handle) -> read ..., with an outgoing queue written one
// frame at a time. All frames are binary Cap'n Proto messages.
//
// A page that takes nothing of what is written to it for --write-timeout
// (a client that keeps its connection alive but never reads) is dropped,
// as a broken connection is: its session waits --reconnect-grace. Frames
// are written in pieces, each one progress, so a big frame to a slow
// client that does read is not taken for a stall.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "broker/net.h"
#include "broker/worker_link.h"
#include "ipc/page.capnp.h"

namespace sluice::broker {

class Server;
class SessionRelay;

class PageConnection : public std::enable_shared_from_this<PageConnection> {
 public:
  // The page's send queue as its session's back-pressure: above the high
  // mark the session stops taking frames from its worker (which then
  // blocks in write), below the low mark it takes them again. High enough
  // that a page on a fast link never waits on the round trip to the
  // worker, low enough that thousands of slow pages cost little; with one
  // worker frame past it, it is what a session's output holds in the
  // broker (see Session).
  static constexpr std::size_t kSendQueueHighWaterBytes = 8u << 20;
  static constexpr std::size_t kSendQueueLowWaterBytes = 1u << 20;

  PageConnection(tcp::socket socket, Server& server);

  // Completes the WebSocket handshake for `upgrade` and starts reading.
  void Run(http::request<http::string_body> upgrade);

  void Send(Frame frame);
  void SendNotice(ipc::Notice::Kind kind, std::string_view message);
  // Closes after the queued frames are written.
  void CloseWith(websocket::close_code code, std::string reason);

  // A `queued` notice: every worker is busy and this page waits at `position`.
  void SendQueued(std::uint32_t position, std::string_view message);

  void SetSession(std::shared_ptr<SessionRelay> session) { session_ = std::move(session); }
  // Called once when the connection is gone (closed by either side or
  // broken) while no session is attached: how a tab waiting in the queue
  // leaves it. Replaces any earlier callback; null clears it.
  void SetOnGone(std::function<void()> on_gone) { on_gone_ = std::move(on_gone); }
  std::size_t queued_bytes() const { return queued_bytes_; }
  // Still connected and not closing.
  bool open() const { return !gone_ && !closing_; }
  // The peer's IP address as the socket sees it ("" if unknown). Behind a
  // load balancer or proxy this is the balancer's.
  const std::string& client_address() const { return client_address_; }

 private:
  void DoRead();
  void OnRead(boost::system::error_code ec, std::size_t bytes);
  void Handle(std::string_view bytes);
  void DoWrite();
  void OnWrite(boost::system::error_code ec, std::size_t written);
  // A write (or the close) starts now: the stall watch measures from here.
  void WatchWrite();
  void ArmWriteWatch(std::chrono::steady_clock::duration after);
  void WriteStalled();
  void Fail(boost::system::error_code ec, std::string_view what);
  void NotifyGone();

  websocket::stream<beast::tcp_stream> ws_;
  Server& server_;
  beast::flat_buffer buffer_;
  asio::steady_timer hello_timer_;
  asio::steady_timer write_timer_;
  std::chrono::steady_clock::time_point write_started_;  // of the write in flight
  bool write_watch_armed_ = false;
  std::deque<Frame> outbox_;
  std::size_t front_written_ = 0;  // bytes of outbox_.front() already written
  std::size_t queued_bytes_ = 0;
  std::shared_ptr<SessionRelay> session_;
  std::function<void()> on_gone_;
  std::string client_address_;
  bool hello_seen_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool gone_ = false;
  websocket::close_reason close_reason_;
};

}  // namespace sluice::broker
