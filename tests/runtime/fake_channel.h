// A runtime::Channel for unit tests: commands are queued by the test, and
// every ServerMessage frame the runner sends is kept as an owned copy, so a
// test drives an AppRunner or ElementStream with no process or socket.
//
// Wait() on an empty queue throws NothingQueued instead of blocking: a
// runner that waits for a command the test never queued fails that test
// rather than hanging it; WaitUntil() on an empty queue returns nullopt at
// once, as if its deadline had passed. fd() is -1 (poll() ignores a negative fd, so
// AppRunner::WaitReadable then watches only the app's own descriptor).
// Single-threaded, like the runner.
#pragma once

#include <capnp/message.h>

#include <chrono>
#include <deque>
#include <optional>
#include <stdexcept>
#include <vector>

#include "ipc/page.capnp.h"
#include "runtime/channel.h"
#include "tests/support/owned_message.h"
#include "tests/support/page_model.h"

namespace sluice::testing {

class FakeChannel final : public runtime::Channel {
 public:
  // What Wait() throws when the test queued nothing: the code under test
  // would block for ever on a real channel.
  struct NothingQueued : std::logic_error {
    NothingQueued() : std::logic_error("Wait() on a FakeChannel with no command queued") {}
  };

  void Queue(runtime::Command command) { commands_.push_back(std::move(command)); }

  runtime::Command Wait() override;
  std::optional<runtime::Command> WaitUntil(std::chrono::steady_clock::time_point) override {
    return Poll();
  }
  std::optional<runtime::Command> Poll() override;
  void Send(capnp::MessageBuilder& message) override;
  int fd() const override { return -1; }
  void WipeLast() override { ++wipes_; }

  // Every frame sent so far, oldest first.
  const std::vector<Owned<ipc::ServerMessage>>& sent() const { return sent_; }
  // The frames sent since the last call, which are then forgotten.
  std::vector<Owned<ipc::ServerMessage>> TakeSent();
  // Applies the frames sent since the last call to `page`, as the page
  // would; returns how many element deltas they carried.
  std::size_t ApplyNewTo(PageModel& page);

  std::size_t queued() const { return commands_.size(); }
  int wipes() const { return wipes_; }

 private:
  std::deque<runtime::Command> commands_;
  std::vector<Owned<ipc::ServerMessage>> sent_;
  std::size_t taken_ = 0;
  int wipes_ = 0;
};

}  // namespace sluice::testing
