// What the kernel holds for a loopback TCP connection of any process,
// answered by sock_diag (the interface behind `ss`): lets a test see that a
// server's write to it is blocked, which nothing notifies the client about.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"

namespace sluice::testing {

struct TcpSendQueue {
  uint32_t queued_bytes;  // in the send queue, with overhead (SK_MEMINFO_WMEM_QUEUED)
  uint32_t buffer_bytes;  // what the send buffer may hold (SK_MEMINFO_SNDBUF)
  // Whether poll() reports the socket writable, by the kernel's rule for
  // TCP (sk_stream_is_writeable): a third of the buffer is free. A writer
  // that met a full buffer waits for that.
  bool writable() const {
    return queued_bytes < buffer_bytes && buffer_bytes - queued_bytes >= queued_bytes / 2;
  }
};

// The send queue of the TCP socket 127.0.0.1:local_port connected to
// 127.0.0.1:remote_port. NotFound if there is no such connection.
absl::StatusOr<TcpSendQueue> LoopbackTcpSendQueue(uint16_t local_port, uint16_t remote_port);

}  // namespace sluice::testing
