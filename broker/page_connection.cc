#include "broker/page_connection.h"

#include <string.h>

#include "broker/page_protocol.h"
#include "broker/server.h"
#include "broker/session_relay.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

PageLimits PageConnection::limits() const { return PageLimitsFor(server_.options()); }

bool PageConnection::send_queue_full() const {
  return queued_bytes_ > limits().send_queue_high_water_bytes;
}

PageConnection::PageConnection(tcp::socket socket, Server& server)
    : ws_(std::move(socket)),
      server_(server),
      hello_timer_(ws_.get_executor()),
      write_timer_(ws_.get_executor()) {
  boost::system::error_code ec;
  auto endpoint = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
  if (!ec) client_address_ = endpoint.address().to_string();
}

void PageConnection::Run(http::request<http::string_body> upgrade) {
  beast::get_lowest_layer(ws_).expires_never();  // the websocket has its own timeouts
  websocket::stream_base::timeout timeouts =
      websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = limits().idle_timeout;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "sluice"); }));
  // Message size is enforced in OnRead, which closes with 1009 itself: on a
  // too-big message Beast's own limit tears the TCP connection down with
  // unread data, and the page would see a reset instead of the close code.
  ws_.read_message_max(0);
  ws_.binary(true);
  ws_.async_accept(upgrade, [self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return self->Fail(ec, "accept");
    // A socket that never says hello would hold a descriptor for ever.
    self->hello_timer_.expires_after(self->limits().hello_timeout);
    self->hello_timer_.async_wait([weak = self->weak_from_this()](boost::system::error_code ec) {
      auto page = weak.lock();
      if (!ec && page && !page->hello_seen_) {
        page->CloseWith(websocket::close_code::policy_error, "no hello");
      }
    });
    self->DoRead();
  });
}

void PageConnection::DoRead() {
  if (reading_ || gone_) return;
  reading_ = true;
  ws_.async_read_some(buffer_, limits().read_chunk_bytes,
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t bytes) {
                        self->OnRead(ec, bytes);
                      });
}

void PageConnection::OnRead(boost::system::error_code ec, std::size_t bytes) {
  reading_ = false;
  server_.service_metrics().page_bytes_in += bytes;
  if (ec) return Fail(ec, "read");
  std::size_t limit = limits().max_message_bytes;
  if (buffer_.size() > limit) {
    LogInfo("page_message_too_big", {{"limit_bytes", limit}});
    buffer_.consume(buffer_.size());
    CloseWith(websocket::close_code::too_big, StrCat("message larger than ", limit >> 10, " KiB"));
    return;
  }
  if (!ws_.is_message_done()) return DoRead();
  if (!ws_.got_binary()) {
    SendNotice(ipc::Notice::Kind::BAD_INPUT, "expected a binary Cap'n Proto message, got text");
  } else {
    auto data = buffer_.data();
    Handle(std::string_view(static_cast<const char*>(data.data()), data.size()));
    // The message may have been part of an uploaded file. (Handle may have
    // moved the buffer: see PageLimits::upload_buffer_bytes.)
    auto handled = buffer_.data();
    if (handled.size() > 0) explicit_bzero(handled.data(), handled.size());
  }
  buffer_.consume(buffer_.size());
  ContinueReading();
}

void PageConnection::ContinueReading() {
  if (gone_ || closing_) return;
  // A page that sends and does not read its replies is not read either
  // (a write to it is in flight meanwhile: the write timeout still sees
  // whether it reads at all). OnWrite reads on once half of them went.
  if (reply_bytes_ > limits().max_unread_reply_bytes) {
    replies_hold_reading_ = true;
    return;
  }
  // While the worker has a backlog (an upload faster than it takes it),
  // leave the page's bytes in the socket: TCP slows the browser down.
  // The callback owns this connection while it waits (nothing else does:
  // no read or write is in flight); the link drops it if it closes first.
  if (session_ &&
      !session_->ReadyForMore([self = shared_from_this()] { self->ContinueReading(); })) {
    return;
  }
  DoRead();
}

void PageConnection::Handle(std::string_view bytes) {
  auto request = DecodePageMessage(bytes, limits().max_message_bytes);
  if (!request.ok()) {
    LogInfo("bad_page_message", {{"error", request.status().message()}});
    SendNotice(ipc::Notice::Kind::BAD_INPUT, ToStd(request.status().message()));
    return;
  }
  if (auto* hello = std::get_if<HelloRequest>(&*request)) {
    if (hello_seen_) {
      SendNotice(ipc::Notice::Kind::BAD_INPUT, "hello was already sent on this connection");
      return;
    }
    hello_seen_ = true;
    hello_timer_.cancel();
    server_.OpenSession(shared_from_this(), hello->reconnect_token);
    return;
  }
  if (!session_) {
    if (hello_seen_ && std::holds_alternative<ByeRequest>(*request)) {
      // A tab closing while it waits in line: it leaves the line.
      CloseWith(websocket::close_code::normal, "bye");
      return;
    }
    SendNotice(ipc::Notice::Kind::BAD_INPUT,
               hello_seen_ ? "this tab has no session yet: it is waiting for a free worker"
                           : "send hello first");
    return;
  }
  if (auto* change = std::get_if<ChangeRequest>(&*request)) {
    if (!session_->ForwardToWorker(std::move(change->worker_command))) {
      CloseWith(websocket::close_code::policy_error, "too many changes waiting for the app");
    }
  } else if (std::holds_alternative<ByeRequest>(*request)) {
    auto session = session_;
    session->PageClosed(this);
  } else if (auto* begin = std::get_if<UploadBeginRequest>(&*request)) {
    // Room for a whole chunk message up front: a buffer that grew while a
    // chunk arrived would free a copy of it into the heap unwiped.
    buffer_.reserve(limits().upload_buffer_bytes());
    session_->Upload(std::move(*begin));
  } else if (auto* chunk = std::get_if<UploadChunkRequest>(&*request)) {
    session_->Upload(std::move(*chunk));
  } else if (auto* end = std::get_if<UploadEndRequest>(&*request)) {
    session_->Upload(*end);
  } else if (auto* cancel = std::get_if<UploadCancelRequest>(&*request)) {
    session_->Upload(*cancel);
  } else if (auto* query = std::get_if<QueryRequest>(&*request)) {
    // Refused queries are answered here and never reach the worker; the
    // page shows the error where it asked and goes on.
    if (!queries_.Take(limits().query_rate, std::chrono::steady_clock::now())) {
      Reply(QueryErrorFrame(
          query->query_id, query->element_id,
          StrCat("too many queries: at most ", limits().query_rate, " a second (--query-rate)")));
    } else if (!session_->Query(std::move(query->worker_command))) {
      Reply(QueryErrorFrame(query->query_id, query->element_id,
                            "the app is busy: too much waiting for it; try again"));
    }
  }
}

void PageConnection::Send(Frame frame) { Enqueue(std::move(frame), /*reply=*/false); }

void PageConnection::Reply(Frame frame) { Enqueue(std::move(frame), /*reply=*/true); }

void PageConnection::Enqueue(Frame frame, bool reply) {
  if (gone_ || closing_) return;
  queued_bytes_ += frame->size();
  if (reply) reply_bytes_ += frame->size();
  outbox_.push_back({std::move(frame), reply});
  DoWrite();
}

// A notice answers something the page sent: however much is queued ahead
// of it, it waits its turn (see ContinueReading for what bounds them).
void PageConnection::SendNotice(ipc::Notice::Kind kind, std::string_view message) {
  Reply(NoticeFrame(kind, message));
}

void PageConnection::SendQueued(std::uint32_t position, std::string_view message) {
  Send(QueuedFrame(position, message));
}

void PageConnection::CloseWith(websocket::close_code code, std::string reason) {
  if (gone_ || closing_) return;
  closing_ = true;
  // Close reasons are limited to 123 bytes by the protocol.
  if (reason.size() > 120) reason.resize(120);
  close_reason_ = websocket::close_reason(code, reason);
  DoWrite();
}

void PageConnection::DoWrite() {
  if (writing_ || gone_) return;
  if (outbox_.empty()) {
    if (!closing_) return;
    writing_ = true;
    WatchWrite();
    ws_.async_close(close_reason_, [self = shared_from_this()](boost::system::error_code) {
      self->writing_ = false;
      self->gone_ = true;
      self->NotifyGone();
      // If the session did not end itself, the page may come back with
      // its token (an oversized message, say): keep the session in grace.
      if (auto session = std::move(self->session_)) session->PageDropped(self.get());
    });
    return;
  }
  writing_ = true;
  WatchWrite();
  const Frame& frame = outbox_.front().frame;
  std::size_t piece = std::min(limits().write_piece_bytes, frame->size() - front_written_);
  bool last = front_written_ + piece == frame->size();
  ws_.async_write_some(
      last, asio::buffer(frame->data() + front_written_, piece),
      [self = shared_from_this()](boost::system::error_code ec, std::size_t written) {
        self->OnWrite(ec, written);
      });
}

void PageConnection::OnWrite(boost::system::error_code ec, std::size_t written) {
  writing_ = false;
  // The frame that was being written stays queued until here (see Fail).
  if (!ec) {
    server_.service_metrics().page_bytes_out += written;
    front_written_ += written;
    if (front_written_ < outbox_.front().frame->size() && !gone_) return DoWrite();
  }
  front_written_ = 0;
  const Outgoing& sent = outbox_.front();
  queued_bytes_ -= sent.frame->size();
  if (sent.reply) reply_bytes_ -= sent.frame->size();
  outbox_.pop_front();
  if (ec) return Fail(ec, "write");
  if (gone_) return;
  PageLimits limits = this->limits();
  if (queued_bytes_ < limits.send_queue_low_water_bytes() && session_) session_->PageDrained();
  if (replies_hold_reading_ && reply_bytes_ <= limits.max_unread_reply_bytes / 2) {
    replies_hold_reading_ = false;
    ContinueReading();
  }
  DoWrite();
}

void PageConnection::WatchWrite() {
  write_started_ = std::chrono::steady_clock::now();
  absl::Duration timeout = limits().write_timeout;
  if (write_watch_armed_ || timeout <= absl::ZeroDuration()) return;
  ArmWriteWatch(absl::ToChronoMilliseconds(timeout));
}

// One timer per connection, re-armed only when it fires: a write that
// finishes just moves write_started_ on, so writing costs no timer
// operations.
void PageConnection::ArmWriteWatch(std::chrono::steady_clock::duration after) {
  write_watch_armed_ = true;
  write_timer_.expires_after(after);
  write_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self) return;
    self->write_watch_armed_ = false;
    absl::Duration timeout = self->limits().write_timeout;
    if (ec || self->gone_ || !self->writing_ || timeout <= absl::ZeroDuration()) return;
    auto limit = absl::ToChronoMilliseconds(timeout);
    auto waited = std::chrono::steady_clock::now() - self->write_started_;
    if (waited < limit) return self->ArmWriteWatch(limit - waited);
    self->WriteStalled();
  });
}

void PageConnection::WriteStalled() {
  ++server_.service_metrics().page_write_stalls;
  LogInfo("page_write_stalled",
          {{"session", session_ ? std::string_view(session_->id()) : std::string_view()},
           {"queued_bytes", queued_bytes_},
           {"write_timeout", absl::FormatDuration(limits().write_timeout)}});
  // As a broken connection: the session (if any) waits for the page to
  // come back. Closing the socket ends the write that waits for ever.
  Fail(beast::error::timeout, "write");
  boost::system::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

void PageConnection::Fail(boost::system::error_code ec, std::string_view what) {
  if (gone_) return;
  gone_ = true;
  hello_timer_.cancel();
  write_timer_.cancel();
  // A write still in flight reads from the front frame: it must outlive it.
  std::size_t keep = writing_ && !outbox_.empty() ? 1 : 0;
  outbox_.resize(keep);
  queued_bytes_ = keep ? outbox_.front().frame->size() : 0;
  reply_bytes_ = keep && outbox_.front().reply ? queued_bytes_ : 0;
  NotifyGone();
  auto session = std::move(session_);
  if (!session) return;
  if (ec == websocket::error::closed) {
    session->PageClosed(this);  // the viewer closed the tab or navigated away
  } else {
    LogDebug("page_dropped", {{"session", session->id()}, {"op", what}, {"error", ec.message()}});
    session->PageDropped(this);
  }
}

void PageConnection::NotifyGone() {
  if (auto on_gone = std::move(on_gone_)) {
    on_gone_ = nullptr;
    on_gone();
  }
}

}  // namespace sluice::broker
