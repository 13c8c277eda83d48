// The broker's end of the control socket to one of its helper processes
// (the zygote, the cache keeper): a SOCK_SEQPACKET socket carrying one flat
// Cap'n Proto message per packet, descriptors attached (ipc/packet.h).
// Sending never blocks the io thread: what the socket cannot take now waits
// in a queue and goes out, in order, once it has room. Not thread-safe:
// after Attach(), every call and every handler runs on the broker's io
// thread.
#pragma once

#include <capnp/message.h>
#include <sys/types.h>

#include <deque>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "broker/net.h"
#include "util/unique_fd.h"

namespace sluice::broker {

class HelperChannel {
 public:
  // One message, in the order the helper sent them; the handler reads its
  // root as the event type it expects. If that throws kj::Exception (Cap'n
  // Proto found the message malformed), the helper is lost.
  using MessageHandler = std::function<void(capnp::MessageReader& message)>;
  // The helper is lost, and why (one line, for the log).
  using LostHandler = std::function<void(std::string_view why)>;

  // Owns `socket` (blocking until Attach()). `on_lost` runs at most once.
  HelperChannel(UniqueFd socket, MessageHandler on_message, LostHandler on_lost);
  ~HelperChannel() { Close(); }
  HelperChannel(const HelperChannel&) = delete;
  HelperChannel& operator=(const HelperChannel&) = delete;

  // Makes the socket non-blocking and starts reading it on `io`. Returns
  // false (logged) if it cannot be watched; the caller decides what that
  // means, and nothing is read.
  bool Attach(asio::io_context& io);
  bool attached() const { return watched_ != nullptr; }
  // Where to post work for a later turn of the loop. REQUIRES: attached().
  asio::any_io_executor executor() const { return watched_->get_executor(); }

  // Sends `words` with `fds` attached, now or once the socket has room; the
  // descriptors are closed once sent. Does nothing once the helper is lost.
  // A failure other than a full socket loses the helper (Lose()).
  void Send(kj::Array<capnp::word> words, std::vector<UniqueFd> fds = {});

  // The helper is lost (the channel says so itself on end of file, a
  // failed receive or send, or a malformed message): drops every queued
  // message, sends nothing more, and runs `on_lost` unless it ran already.
  // Messages already in the socket are still delivered until end of file,
  // which follows once `on_lost` has ended the helper.
  void Lose(std::string_view why);
  bool lost() const { return lost_; }

  // Inside the message handler: the pid the message's SCM_CREDENTIALS name
  // (the socket needs SO_PASSCRED), in the broker's pid namespace; else 0.
  pid_t message_credentials_pid() const { return message_credentials_pid_; }

  // Closes the socket now (the helper sees end of file); pending waits are
  // cancelled and nothing more is read or sent.
  void Close();

 private:
  struct Outgoing {
    kj::Array<capnp::word> words;  // a flat message
    std::vector<UniqueFd> fds;     // sent with it, then closed
  };
  void Flush();
  void WaitReadable();
  void OnReadable();

  UniqueFd socket_;
  MessageHandler on_message_;
  LostHandler on_lost_;
  // asio waits on a duplicate of socket_, which keeps owning the socket.
  std::unique_ptr<asio::posix::stream_descriptor> watched_;
  std::deque<Outgoing> outbox_;
  bool write_waiting_ = false;
  bool lost_ = false;
  pid_t message_credentials_pid_ = 0;
};

}  // namespace sluice::broker
