// One page's WebSocket, driven as Beast's async server session is:
// accept -> read -> (handle) -> read ..., with an outgoing queue written one
// frame at a time. All frames are binary Cap'n Proto messages.
//
// A page that takes nothing of what is written to it for --write-timeout
// (a client that keeps its connection alive but never reads) is dropped,
// as a broken connection is: its session waits --reconnect-grace. Frames
// are written in pieces, each one progress, so a big frame to a slow
// client that does read is not taken for a stall. That is the only way a
// page is closed for not reading: how much is queued for it never is.
// Every limit named here is a field of PageLimits (broker/page_limits.h).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "broker/net.h"
#include "broker/page_limits.h"
#include "broker/token_bucket.h"
#include "broker/worker_link.h"
#include "ipc/page.capnp.h"

namespace sluice::broker {

class Server;
class SessionRelay;

class PageConnection : public std::enable_shared_from_this<PageConnection> {
 public:
  PageConnection(tcp::socket socket, Server& server);

  // Completes the WebSocket handshake for `upgrade` and starts reading.
  void Run(http::request<http::string_body> upgrade);

  // Queues the worker's output for the page. Its session stops taking
  // frames from the worker while send_queue_full(), and takes them again
  // when the queue drains (SessionRelay::PageDrained).
  void Send(Frame frame);
  // Queues a reply to what the page sent (a notice about its bad message,
  // an upload's status). Past PageLimits::max_unread_reply_bytes of replies
  // unread, the page is not read until half of them have gone.
  void Reply(Frame frame);
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
  // More than PageLimits::send_queue_high_water_bytes is queued.
  bool send_queue_full() const;
  // Still connected and not closing.
  bool open() const { return !gone_ && !closing_; }
  // The peer's IP address as the socket sees it ("" if unknown). Behind a
  // load balancer or proxy this is the balancer's.
  const std::string& client_address() const { return client_address_; }

 private:
  void DoRead();
  // Reads on unless replies pile up or the session holds the page back.
  void ContinueReading();
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
  void Enqueue(Frame frame, bool reply);
  PageLimits limits() const;

  struct Outgoing {
    Frame frame;
    bool reply = false;  // counted in reply_bytes_
  };

  websocket::stream<beast::tcp_stream> ws_;
  Server& server_;
  beast::flat_buffer buffer_;
  asio::steady_timer hello_timer_;
  asio::steady_timer write_timer_;
  std::chrono::steady_clock::time_point write_started_;  // of the write in flight
  bool write_watch_armed_ = false;
  std::deque<Outgoing> outbox_;
  std::size_t front_written_ = 0;  // bytes of outbox_.front() already written
  std::size_t queued_bytes_ = 0;
  std::size_t reply_bytes_ = 0;  // of queued_bytes_, replies
  bool reading_ = false;
  // Reading stopped because replies pile up; OnWrite resumes it.
  bool replies_hold_reading_ = false;
  std::shared_ptr<SessionRelay> session_;
  TokenBucket queries_;  // --query-rate
  std::function<void()> on_gone_;
  std::string client_address_;
  bool hello_seen_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool gone_ = false;
  websocket::close_reason close_reason_;
};

}  // namespace sluice::broker
