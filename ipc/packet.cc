#include "ipc/packet.h"

#include <capnp/serialize.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "util/strings.h"

namespace sluice::ipc {

namespace {

absl::Status ErrnoStatus(std::string_view call, int err) {
  if (err == EAGAIN || err == EWOULDBLOCK) return absl::UnavailableError("would block");
  return absl::InternalError(StrCat(call, ": ", std::strerror(err)));
}

}  // namespace

absl::Status SendPacket(int socket, capnp::MessageBuilder& message, absl::Span<const int> fds) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  return SendPacketWords(socket, words, fds);
}

absl::Status SendPacketWords(int socket, kj::ArrayPtr<const capnp::word> words,
                             absl::Span<const int> fds) {
  if (fds.size() > kMaxPacketFds) {
    return absl::InvalidArgumentError(StrCat("at most ", kMaxPacketFds, " descriptors per packet"));
  }
  auto bytes = words.asBytes();
  iovec iov{const_cast<kj::byte*>(bytes.begin()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxPacketFds * sizeof(int))];
  if (!fds.empty()) {
    std::memset(control, 0, sizeof(control));
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), fds.data(), fds.size() * sizeof(int));
  }
  for (;;) {
    ssize_t n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
    if (n >= 0) return absl::OkStatus();
    if (errno != EINTR) return ErrnoStatus("sendmsg", errno);
  }
}

absl::StatusOr<Packet> ReceivePacket(int socket) {
  Packet packet;
  std::vector<capnp::word> buffer(kMaxPacketBytes / sizeof(capnp::word));
  iovec iov{buffer.data(), kMaxPacketBytes};
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxPacketFds * sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  bool reset_seen = false;
  for (;;) {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    if (n >= 0 || errno == EINTR) {
      if (n >= 0) break;
      continue;
    }
    // A peer that closed with packets of ours unread is reported once as
    // ECONNRESET, ahead of the packets it sent before closing: read on, so
    // those arrive and then the end of the stream, as after a clean close.
    if (errno == ECONNRESET && !reset_seen) {
      reset_seen = true;
      continue;
    }
    return ErrnoStatus("recvmsg", errno);
  }
  // Every descriptor that arrived is owned at once, so that each error path
  // below closes them.
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      packet.fds.emplace_back(fd);
    }
  }
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    return absl::DataLossError("packet truncated");
  }
  if (n % sizeof(capnp::word) != 0) return absl::DataLossError("packet not word-aligned");
  buffer.resize(static_cast<std::size_t>(n) / sizeof(capnp::word));
  packet.words = std::move(buffer);
  return packet;
}

}  // namespace sluice::ipc
