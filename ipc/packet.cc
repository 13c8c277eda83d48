#include "ipc/packet.h"

#include <capnp/serialize.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/strings.h"

namespace sluice::ipc {

namespace {

// Room for the most descriptors and one set of credentials.
constexpr std::size_t kControlBytes =
    CMSG_SPACE(kMaxPacketFds * sizeof(int)) + CMSG_SPACE(sizeof(ucred));

absl::Status ErrnoStatus(std::string_view call, int err) {
  if (err == EAGAIN || err == EWOULDBLOCK) return absl::UnavailableError("would block");
  return absl::InternalError(StrCat(call, ": ", std::strerror(err)));
}

}  // namespace

absl::Status SendPacket(int socket, capnp::MessageBuilder& message, absl::Span<const int> fds,
                        pid_t credentials_pid) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  return SendPacketWords(socket, words, fds, credentials_pid);
}

absl::Status SendPacketWords(int socket, kj::ArrayPtr<const capnp::word> words,
                             absl::Span<const int> fds, pid_t credentials_pid) {
  if (fds.size() > kMaxPacketFds) {
    return absl::InvalidArgumentError(StrCat("at most ", kMaxPacketFds, " descriptors per packet"));
  }
  auto bytes = words.asBytes();
  iovec iov{const_cast<kj::byte*>(bytes.begin()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[kControlBytes];
  std::memset(control, 0, sizeof(control));
  msg.msg_control = control;
  std::size_t used = 0;
  if (!fds.empty()) {
    msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), fds.data(), fds.size() * sizeof(int));
    used = msg.msg_controllen;
  }
  if (credentials_pid != 0) {
    ucred credentials{credentials_pid, ::getuid(), ::getgid()};
    msg.msg_controllen = used + CMSG_SPACE(sizeof(credentials));
    cmsghdr* cmsg = reinterpret_cast<cmsghdr*>(control + used);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_CREDENTIALS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(credentials));
    std::memcpy(CMSG_DATA(cmsg), &credentials, sizeof(credentials));
    used = msg.msg_controllen;
  }
  if (used == 0) msg.msg_control = nullptr;
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
  alignas(cmsghdr) char control[kControlBytes];
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
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_CREDENTIALS &&
        cmsg->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      ucred credentials;
      std::memcpy(&credentials, CMSG_DATA(cmsg), sizeof(credentials));
      packet.credentials_pid = credentials.pid;
      continue;
    }
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
  // A fresh vector of the packet's size, not buffer.resize(): capnp::word
  // cannot be copied, and clang's libstdc++ checks refuse resize() for it.
  packet.words = std::vector<capnp::word>(static_cast<std::size_t>(n) / sizeof(capnp::word));
  // Not for the empty packet of a closed peer: memcpy from data() of an
  // empty vector (null) is undefined.
  if (n > 0) std::memcpy(packet.words.data(), buffer.data(), static_cast<std::size_t>(n));
  return packet;
}

}  // namespace sluice::ipc
