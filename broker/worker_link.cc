#include "broker/worker_link.h"

#include <capnp/serialize.h>
#include <string.h>

#include "util/log.h"

namespace sluice::broker {

WorkerLink::WorkerLink(asio::io_context& io, UniqueFd socket, std::size_t max_frame_bytes)
    : socket_(io, asio::local::stream_protocol(), socket.release()), reader_(max_frame_bytes) {}

void WorkerLink::Start(FrameHandler on_frame, ClosedHandler on_closed) {
  on_frame_ = std::move(on_frame);
  on_closed_ = std::move(on_closed);
  DoRead();
}

void WorkerLink::DoRead() {
  if (reading_ || paused_ || closed_) return;
  if (!DeliverFrames()) return;
  reading_ = true;
  auto space = reader_.WritableSpace();
  socket_.async_read_some(asio::buffer(space.data(), space.size()),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                            self->reading_ = false;
                            if (ec) {
                              self->Fail();
                              return;
                            }
                            self->reader_.Commit(n);
                            self->DoRead();
                          });
}

bool WorkerLink::DeliverFrames() {
  while (!paused_ && !closed_) {
    auto next = reader_.TakeNext();
    if (!next.ok()) {
      LogWarning("worker_frame_rejected", {{"error", next.status().message()}});
      Fail();
      return false;
    }
    if (!next->has_value()) return true;
    Frame frame = FrameOf(std::move(**next));
    if (on_frame_) on_frame_(std::move(frame));
  }
  return false;
}

void WorkerLink::SetPaused(bool paused) {
  bool was_paused = paused_;
  paused_ = paused;
  // Not paused before: a read is in flight already (or the link closed).
  if (paused_ || !was_paused) return;
  // Not from inside the caller: frames still in the read buffer are handed
  // on first, and their handler may pause, close or end the session.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
}

void WorkerLink::Send(capnp::MessageBuilder& message) { Send(capnp::messageToFlatArray(message)); }

void WorkerLink::Send(kj::Array<capnp::word> flat_message) {
  if (closed_) return;
  queued_bytes_ += flat_message.asBytes().size();
  outbox_.push_back(std::move(flat_message));
  DoWrite();
}

void WorkerLink::DoWrite() {
  if (writing_ || outbox_.empty() || closed_) return;
  writing_ = true;
  auto bytes = outbox_.front().asBytes();
  asio::async_write(socket_, asio::buffer(bytes.begin(), bytes.size()),
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) {
                        self->Fail();
                        return;
                      }
                      auto written = self->outbox_.front().asBytes();
                      self->queued_bytes_ -= written.size();
                      // Commands may carry uploaded bytes: none stay behind here.
                      explicit_bzero(written.begin(), written.size());
                      self->outbox_.pop_front();
                      self->CheckBelow();
                      self->DoWrite();
                    });
}

void WorkerLink::WhenBelow(std::size_t bytes, std::function<void()> then) {
  if (closed_) return;
  below_bytes_ = bytes;
  when_below_ = std::move(then);
  CheckBelow();
}

void WorkerLink::CheckBelow() {
  if (!when_below_ || queued_bytes_ >= below_bytes_) return;
  auto then = std::move(when_below_);
  when_below_ = nullptr;
  then();
}

void WorkerLink::Fail() {
  if (closed_) return;
  Close();
  if (auto on_closed = std::move(on_closed_)) on_closed();
}

void WorkerLink::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  on_frame_ = nullptr;
  when_below_ = nullptr;
}

}  // namespace sluice::broker
