#include "ipc/text.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace sluice::ipc {

capnp::Orphan<capnp::Text> NewText(capnp::Orphanage orphanage, std::string_view text) {
  // Checked before the size narrows to the 32 bits capnp takes, which would
  // otherwise wrap a huge size to a small one.
  if (text.size() > capnp::MAX_TEXT_SIZE) {
    throw std::invalid_argument("a text of " + std::to_string(text.size()) +
                                " bytes is longer than a message can carry (at most " +
                                std::to_string(capnp::MAX_TEXT_SIZE) + ")");
  }
  capnp::Orphan<capnp::Text> orphan =
      orphanage.newOrphan<capnp::Text>(static_cast<unsigned>(text.size()));
  if (!text.empty()) std::memcpy(orphan.get().begin(), text.data(), text.size());
  return orphan;
}

}  // namespace sluice::ipc
