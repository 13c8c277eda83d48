// The broker's end of one worker's session socket: WorkerCommand frames go
// out, ServerMessage frames come back and are handed on whole, unparsed.
// Lives on the broker's single io thread.
#pragma once

#include <capnp/message.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "broker/frame.h"
#include "broker/net.h"
#include "ipc/framing.h"
#include "util/unique_fd.h"

namespace sluice::broker {

class WorkerLink : public std::enable_shared_from_this<WorkerLink> {
 public:
  using FrameHandler = std::function<void(Frame)>;
  using ClosedHandler = std::function<void()>;

  // Frames larger than `max_frame_bytes` from the worker end the link (the
  // worker is misbehaving; only its own session suffers):
  // PageLimits::max_worker_frame_bytes.
  WorkerLink(asio::io_context& io, UniqueFd socket, std::size_t max_frame_bytes);

  // Starts reading. `on_frame` gets every frame; `on_closed` runs once when
  // the worker's side closes or fails.
  void Start(FrameHandler on_frame, ClosedHandler on_closed);
  void Send(capnp::MessageBuilder& message);
  void Send(kj::Array<capnp::word> flat_message);
  // Stops reading while the page cannot keep up (back-pressure reaches the
  // worker, which then blocks in write). Paused, the link hands on no more
  // frames, not even ones already read: what the broker holds for a
  // session's output is bounded (see SessionRelay). Unpausing hands them on
  // from the io loop, not from inside this call.
  void SetPaused(bool paused);
  void Close();
  // Bytes of commands not yet written to the worker.
  std::size_t queued_bytes() const { return queued_bytes_; }
  // The memory the link holds for frames from the worker not yet handed on.
  std::size_t read_buffer_bytes() const { return reader_.capacity_bytes(); }
  // Calls `then` once, as soon as fewer than `bytes` are queued (at once if
  // that is already so). A later call replaces an earlier one; Close()
  // drops it.
  void WhenBelow(std::size_t bytes, std::function<void()> then);

 private:
  void DoRead();
  // Hands every complete frame already read to on_frame_ until paused or
  // closed; true if the buffer holds no complete frame and reading may go on.
  bool DeliverFrames();
  void DoWrite();
  void Fail();
  void CheckBelow();

  asio::local::stream_protocol::socket socket_;
  ipc::FrameReader reader_;
  FrameHandler on_frame_;
  ClosedHandler on_closed_;
  std::deque<kj::Array<capnp::word>> outbox_;
  std::size_t queued_bytes_ = 0;
  std::size_t below_bytes_ = 0;
  std::function<void()> when_below_;
  bool reading_ = false;
  bool writing_ = false;
  bool paused_ = false;
  bool closed_ = false;
};

}  // namespace sluice::broker
