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

absl::Status SendPacket(int socket, capnp::MessageBuilder& message, int fd_to_pass) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  return SendPacketWords(socket, words, fd_to_pass);
}

absl::Status SendPacketWords(int socket, kj::ArrayPtr<const capnp::word> words, int fd_to_pass) {
  auto bytes = words.asBytes();
  iovec iov{const_cast<kj::byte*>(bytes.begin()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (fd_to_pass >= 0) {
    std::memset(control, 0, sizeof(control));
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd_to_pass, sizeof(int));
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
  alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus("recvmsg", errno);
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      if (!packet.fd.valid()) {
        packet.fd.reset(fd);
      } else {
        UniqueFd extra(fd);  // closed: one descriptor per packet at most
      }
    }
  }
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    return absl::DataLossError("control packet truncated");
  }
  if (n % sizeof(capnp::word) != 0) return absl::DataLossError("control packet not word-aligned");
  buffer.resize(static_cast<size_t>(n) / sizeof(capnp::word));
  packet.words = std::move(buffer);
  return packet;
}

}  // namespace sluice::ipc
