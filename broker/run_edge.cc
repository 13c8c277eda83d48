#include "broker/run_edge.h"

#include <capnp/serialize.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "ipc/framing.h"
#include "ipc/page.capnp.h"

namespace sluice::broker {

RunEdge RunEdgeOf(const Frame& frame) {
  if (!frame || frame->size() < sizeof(capnp::word) || frame->size() % sizeof(capnp::word) != 0) {
    return {};
  }
  // Cap'n Proto reads words in place; a frame's bytes are not always
  // word-aligned, and then a copy is read instead.
  kj::ArrayPtr<const capnp::word> words(reinterpret_cast<const capnp::word*>(frame->data()),
                                        frame->size() / sizeof(capnp::word));
  std::vector<capnp::word> aligned;
  if (reinterpret_cast<std::uintptr_t>(frame->data()) % alignof(capnp::word) != 0) {
    aligned = std::vector<capnp::word>(words.size());  // not resize(): see ipc/packet.cc
    std::memcpy(aligned.data(), frame->data(), frame->size());
    words = kj::arrayPtr(aligned.data(), aligned.size());
  }
  try {
    capnp::FlatArrayMessageReader message(words, ipc::UntrustedReaderOptions(frame->size()));
    auto root = message.getRoot<ipc::ServerMessage>();
    if (!root.isRun()) return {};
    auto run = root.getRun();
    return {run.getStarted(), run.getFinished()};
  } catch (const kj::Exception&) {
    return {};
  }
}

}  // namespace sluice::broker
