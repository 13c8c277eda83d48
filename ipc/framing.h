// Cap'n Proto stream framing for byte streams (the broker <-> worker Unix
// socket). The wire format is capnp's own: a segment table followed by the
// segments, exactly what capnp::messageToFlatArray produces; no second format.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace sluice::ipc {

// Reader limits applied to every message that crosses a process boundary.
capnp::ReaderOptions UntrustedReaderOptions(size_t max_message_bytes);

// Splits a byte stream into whole messages without copying them: bytes are
// read straight into an aligned buffer and each message is handed out as a
// view into it. Not thread-safe; one per stream.
//
// Bytes that passed through leave no copies behind in memory the reader
// gives up: moving unread bytes to the front zeroes where they were, a
// grown buffer wipes the old one before freeing it, and WipeLast() zeroes
// a message once its reader is done with it (uploaded file contents).
class FrameReader {
 public:
  explicit FrameReader(size_t max_message_bytes);
  ~FrameReader();
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // Writable space of at least `min_bytes`; read into it, then Commit(n).
  std::span<std::byte> WritableSpace(size_t min_bytes = 64 * 1024);
  void Commit(size_t n);

  // The next complete message, or nullopt if more bytes are needed. The view
  // stays valid until the next call to WritableSpace() or Next(). An error
  // (oversized or corrupt frame) is final: the stream must be dropped.
  absl::StatusOr<std::optional<kj::ArrayPtr<const capnp::word>>> Next();
  // Zeroes the message Next() returned last (its view then reads zeros).
  void WipeLast();

 private:
  void Compact();

  size_t max_words_;
  std::vector<capnp::word> buffer_;
  size_t begin_bytes_ = 0;       // first unconsumed byte (always word-aligned)
  size_t end_bytes_ = 0;         // one past the last received byte
  size_t last_begin_bytes_ = 0;  // the message Next() returned last
  size_t last_end_bytes_ = 0;
};

}  // namespace sluice::ipc
