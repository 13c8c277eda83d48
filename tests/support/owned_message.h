// A deep, owned copy of a Cap'n Proto struct, so decoded messages outlive the
// buffer they arrived in. The schema in ipc/ stays the only description of
// each message; tests read them through the generated Readers.
#pragma once

#include <capnp/message.h>

#include <memory>
#include <string>

namespace sluice::testing {

template <class Struct>
class Owned {
 public:
  explicit Owned(typename Struct::Reader reader)
      : message_(std::make_shared<capnp::MallocMessageBuilder>()) {
    message_->setRoot(reader);
  }

  // Valid as long as this Owned (or a copy of it) is alive. Copies share the
  // message, which is never modified after construction.
  typename Struct::Reader get() const { return message_->getRoot<Struct>().asReader(); }

  // Cap'n Proto text format, for failure messages.
  std::string DebugString() const { return get().toString().flatten().cStr(); }

 private:
  std::shared_ptr<capnp::MallocMessageBuilder> message_;
};

}  // namespace sluice::testing
