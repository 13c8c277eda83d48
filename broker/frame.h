// A message ready for a WebSocket write: the bytes of one flat Cap'n Proto
// message, shared so that queues hold it without copies.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <memory>
#include <string>

namespace sluice::broker {

using Frame = std::shared_ptr<const std::string>;

inline Frame FrameOf(kj::ArrayPtr<const kj::byte> bytes) {
  return std::make_shared<const std::string>(reinterpret_cast<const char*>(bytes.begin()),
                                             bytes.size());
}

inline Frame FrameOf(capnp::MessageBuilder& message) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  return FrameOf(words.asBytes());
}

}  // namespace sluice::broker
