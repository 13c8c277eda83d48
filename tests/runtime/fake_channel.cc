#include "tests/runtime/fake_channel.h"

namespace sluice::testing {

runtime::Command FakeChannel::Wait() {
  if (commands_.empty()) throw NothingQueued();
  runtime::Command command = std::move(commands_.front());
  commands_.pop_front();
  return command;
}

std::optional<runtime::Command> FakeChannel::Poll() {
  if (commands_.empty()) return std::nullopt;
  return Wait();
}

void FakeChannel::Send(capnp::MessageBuilder& message) {
  sent_.emplace_back(message.getRoot<ipc::ServerMessage>().asReader());
}

std::vector<Owned<ipc::ServerMessage>> FakeChannel::TakeSent() {
  std::vector<Owned<ipc::ServerMessage>> fresh(sent_.begin() + static_cast<std::ptrdiff_t>(taken_),
                                               sent_.end());
  taken_ = sent_.size();
  return fresh;
}

std::size_t FakeChannel::ApplyNewTo(PageModel& page) {
  std::size_t deltas = 0;
  for (const Owned<ipc::ServerMessage>& message : TakeSent()) {
    ipc::ServerMessage::Reader reader = message.get();
    if (reader.isRun()) deltas += reader.getRun().getDeltas().size();
    page.Apply(reader);
  }
  return deltas;
}

}  // namespace sluice::testing
