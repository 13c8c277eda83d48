// A message ready for a WebSocket write: the bytes of one flat Cap'n Proto
// message, shared so that queues hold it without copies. A frame made from
// an array (a worker's frame taken from its link's read buffer, a message
// the broker built) owns that array: a worker frame may be 256 MiB, and is
// never copied between the worker's socket and the page's.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstddef>
#include <memory>

namespace sluice::broker {

class FrameBytes {
 public:
  explicit FrameBytes(kj::Array<const kj::byte> bytes) : bytes_(kj::mv(bytes)) {}

  const char* data() const { return reinterpret_cast<const char*>(bytes_.begin()); }
  std::size_t size() const { return bytes_.size(); }

 private:
  kj::Array<const kj::byte> bytes_;
};

using Frame = std::shared_ptr<const FrameBytes>;

// Takes `words` over, without a copy.
inline Frame FrameOf(kj::Array<capnp::word> words) {
  auto bytes = words.asBytes();
  kj::Array<const kj::byte> view(bytes.begin(), bytes.size(), kj::NullArrayDisposer::instance);
  return std::make_shared<const FrameBytes>(view.attach(kj::mv(words)));
}

inline Frame FrameOf(capnp::MessageBuilder& message) {
  return FrameOf(capnp::messageToFlatArray(message));
}

}  // namespace sluice::broker
