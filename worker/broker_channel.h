// The worker's end of its session socket to the broker: the runtime::Channel
// of a real session. Commands arrive as WorkerCommand frames; ServerMessage
// frames go back, and the broker forwards them to the page unchanged.
#pragma once

#include <capnp/message.h>

#include <chrono>
#include <optional>

#include "ipc/framing.h"
#include "runtime/channel.h"
#include "util/unique_fd.h"

namespace sluice::worker {

class BrokerChannel final : public runtime::Channel {
 public:
  BrokerChannel(UniqueFd fd, size_t max_message_bytes);

  // Blocks for the next command. When the broker has gone (EOF or error) the
  // worker has nothing left to do: the process exits.
  runtime::Command Wait() override;
  // The same, giving up at `deadline` (nullopt).
  std::optional<runtime::Command> WaitUntil(
      std::chrono::steady_clock::time_point deadline) override;
  // The next command if one has fully arrived, without blocking.
  std::optional<runtime::Command> Poll() override;
  // Writes one whole frame, blocking; exits the process if the broker is gone.
  void Send(capnp::MessageBuilder& message) override;
  // The socket, for poll(); commands are read only through Wait/Poll.
  int fd() const override { return fd_.get(); }
  // Zeroes the bytes of the command read last (see UploadChunkCommand).
  void WipeLast() override { reader_.WipeLast(); }

 private:
  // Reads what is available; blocking or not. Returns false if nothing came.
  bool Fill(bool block);
  std::optional<runtime::Command> NextDecoded();

  UniqueFd fd_;
  ipc::FrameReader reader_;
  size_t max_message_bytes_;
};

}  // namespace sluice::worker
