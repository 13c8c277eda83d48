#include "broker/helper_channel.h"

#include <capnp/serialize.h>
#include <fcntl.h>

#include <cerrno>

#include "ipc/packet.h"
#include "util/log.h"
#include "util/strings.h"

namespace sluice::broker {

HelperChannel::HelperChannel(UniqueFd socket, MessageHandler on_message, LostHandler on_lost)
    : socket_(std::move(socket)),
      on_message_(std::move(on_message)),
      on_lost_(std::move(on_lost)) {}

bool HelperChannel::Attach(asio::io_context& io) {
  int flags = ::fcntl(socket_.get(), F_GETFL);
  if (flags < 0 || ::fcntl(socket_.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    LogSyscallError("fcntl(O_NONBLOCK)", errno, {{"fd", socket_.get()}});
  }
  int watched = ::fcntl(socket_.get(), F_DUPFD_CLOEXEC, 0);
  if (watched < 0) {
    LogSyscallError("fcntl(F_DUPFD_CLOEXEC)", errno, {{"fd", socket_.get()}});
    return false;
  }
  watched_ = std::make_unique<asio::posix::stream_descriptor>(io, watched);
  WaitReadable();
  return true;
}

void HelperChannel::Send(kj::Array<capnp::word> words, std::vector<UniqueFd> fds) {
  outbox_.push_back({std::move(words), std::move(fds)});
  Flush();
}

void HelperChannel::Lose(std::string_view why) {
  if (lost_) return;
  lost_ = true;
  outbox_.clear();  // closes the descriptors that were to go with them
  on_lost_(why);
}

void HelperChannel::Close() {
  watched_.reset();
  socket_.reset();
}

void HelperChannel::Flush() {
  while (!outbox_.empty() && !write_waiting_ && !lost_ && socket_) {
    Outgoing& next = outbox_.front();
    std::vector<int> fds;
    for (const UniqueFd& fd : next.fds) fds.push_back(fd.get());
    absl::Status sent = ipc::SendPacketWords(socket_.get(), next.words, fds);
    if (sent.ok()) {
      outbox_.pop_front();  // closes our copies of what went along
      continue;
    }
    if (absl::IsUnavailable(sent) && attached()) {  // the socket is full: wait for room
      write_waiting_ = true;
      watched_->async_wait(asio::posix::stream_descriptor::wait_write,
                           [this](boost::system::error_code ec) {
                             if (ec == asio::error::operation_aborted) return;  // closed
                             write_waiting_ = false;
                             if (!ec) Flush();
                           });
      return;
    }
    Lose(ToStd(sent.message()));
    return;
  }
}

void HelperChannel::WaitReadable() {
  watched_->async_wait(asio::posix::stream_descriptor::wait_read,
                       [this](boost::system::error_code ec) {
                         if (ec == asio::error::operation_aborted) return;  // closed
                         OnReadable();
                       });
}

void HelperChannel::OnReadable() {
  for (;;) {
    absl::StatusOr<ipc::Packet> packet = ipc::ReceivePacket(socket_.get());
    if (!packet.ok()) {
      if (absl::IsUnavailable(packet.status())) break;
      Lose(ToStd(packet.status().message()));
      return;
    }
    if (packet->words.empty()) {
      Lose("control socket closed");
      return;
    }
    try {
      capnp::FlatArrayMessageReader message(
          kj::arrayPtr(packet->words.data(), packet->words.size()));
      message_credentials_pid_ = packet->credentials_pid;
      on_message_(message);
      message_credentials_pid_ = 0;
    } catch (const kj::Exception& e) {
      Lose(StrCat("undecodable event: ", e.getDescription().cStr()));
    }
  }
  WaitReadable();
}

}  // namespace sluice::broker
