// One Cap'n Proto message per SOCK_SEQPACKET packet, optionally carrying a
// few file descriptors (SCM_RIGHTS). Used on the broker <-> zygote and
// broker <-> keeper control sockets and on each worker's keeper socket.
#pragma once

#include <capnp/message.h>
#include <sys/types.h>

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "util/unique_fd.h"

namespace sluice::ipc {

// Largest packet either side sends or accepts.
inline constexpr std::size_t kMaxPacketBytes = 64 * 1024;
// Most descriptors one packet may carry.
inline constexpr std::size_t kMaxPacketFds = 4;

// Sends `message` as one packet with `fds` attached (in that order; the
// caller keeps its copies). At most kMaxPacketFds. Non-blocking sockets may
// return UnavailableError (EAGAIN): try again later. A `credentials_pid`
// other than 0 rides as SCM_CREDENTIALS (with the sender's uid and gid):
// naming a process other than the sender needs CAP_SYS_ADMIN, and the
// receiver (with SO_PASSCRED) sees the pid as its own pid namespace numbers it.
absl::Status SendPacket(int socket, capnp::MessageBuilder& message, absl::Span<const int> fds = {},
                        pid_t credentials_pid = 0);
// The same for a message already flattened (capnp::messageToFlatArray).
absl::Status SendPacketWords(int socket, kj::ArrayPtr<const capnp::word> words,
                             absl::Span<const int> fds = {}, pid_t credentials_pid = 0);

struct Packet {
  std::vector<capnp::word> words;  // empty: the peer closed the socket
  std::vector<UniqueFd> fds;       // the attached descriptors, in the order sent
  pid_t credentials_pid = 0;       // SCM_CREDENTIALS, if the receiver set SO_PASSCRED

  // The i-th descriptor, taken out of the packet; invalid if there is none.
  UniqueFd TakeFd(std::size_t i = 0) { return i < fds.size() ? std::move(fds[i]) : UniqueFd(); }
};

// Receives one packet; its descriptors arrive close-on-exec. UnavailableError
// when a non-blocking socket has none. A packet that was truncated (longer
// than kMaxPacketBytes, more than kMaxPacketFds descriptors) or is not a
// whole number of words is DataLoss, and whatever descriptors it carried
// are closed.
// A peer that died with packets of ours unread still has its own last
// packets delivered, then the end (empty words), not an error.
absl::StatusOr<Packet> ReceivePacket(int socket);

}  // namespace sluice::ipc
