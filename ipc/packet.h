// One Cap'n Proto message per SOCK_SEQPACKET packet, optionally carrying one
// file descriptor (SCM_RIGHTS). Used on the broker <-> zygote control socket.
#pragma once

#include <capnp/message.h>

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "util/unique_fd.h"

namespace sluice::ipc {

// Largest control packet either side sends or accepts.
inline constexpr std::size_t kMaxPacketBytes = 64 * 1024;

// Sends `message` as one packet, with `fd_to_pass` attached when >= 0.
// Non-blocking sockets may return UnavailableError (EAGAIN): try again later.
absl::Status SendPacket(int socket, capnp::MessageBuilder& message, int fd_to_pass = -1);
// The same for a message already flattened (capnp::messageToFlatArray).
absl::Status SendPacketWords(int socket, kj::ArrayPtr<const capnp::word> words,
                             int fd_to_pass = -1);

struct Packet {
  std::vector<capnp::word> words;  // empty: the peer closed the socket
  UniqueFd fd;                     // the attached descriptor, if any
};

// Receives one packet. UnavailableError when a non-blocking socket has none.
// Extra descriptors beyond the first are closed; truncated packets are errors.
absl::StatusOr<Packet> ReceivePacket(int socket);

}  // namespace sluice::ipc
