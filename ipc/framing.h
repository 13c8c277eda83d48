// Cap'n Proto stream framing for byte streams (the broker <-> worker Unix
// socket). The wire format is capnp's own: a segment table followed by the
// segments, exactly what capnp::messageToFlatArray produces; no second format.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>

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
//
// Memory follows the messages: once a message's segment table is in, the
// buffer grows to hold all of it at once (not by doubling past it), and a
// buffer grown past kKeptBytes is freed as soon as every message in it has
// been handed out, so one large message does not cost a stream its size
// for the rest of its life.
class FrameReader {
 public:
  // The buffer size kept between messages; a larger one is freed when drained.
  static constexpr size_t kKeptBytes = 1u << 20;

  explicit FrameReader(size_t max_message_bytes);
  ~FrameReader();
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // Writable space of at least `min_bytes`, or of the rest of the message
  // being received if that is less; read into it, then Commit(n).
  std::span<std::byte> WritableSpace(size_t min_bytes = 64 * 1024);
  void Commit(size_t n);

  // The next complete message, or nullopt if more bytes are needed. The view
  // stays valid until the next call to WritableSpace() or Next(). An error
  // (oversized or corrupt frame) is final: the stream must be dropped.
  absl::StatusOr<std::optional<kj::ArrayPtr<const capnp::word>>> Next();
  // Zeroes the message Next() returned last (its view then reads zeros).
  void WipeLast();

  // The next complete message as an array of its own, or nullopt as Next().
  // A message larger than kKeptBytes that starts the buffer (the buffer
  // was sized for it when its segment table came in) is handed over
  // without a copy: the array is that buffer, and the reader starts a new
  // one with any bytes that followed it. A smaller one is copied out.
  // Errors as Next().
  absl::StatusOr<std::optional<kj::Array<capnp::word>>> TakeNext();

  // The memory the reader holds for its buffer.
  size_t capacity_bytes() const { return capacity_words_ * sizeof(capnp::word); }

 private:
  void Compact();
  // Frees a large buffer whose every byte has been handed out.
  void ReleaseIfDrained();
  // The size of the message being received, once its segment table is in.
  std::optional<size_t> PendingMessageBytes() const;
  capnp::word* words() const { return buffer_.get(); }

  size_t max_words_;
  std::unique_ptr<capnp::word[]> buffer_;
  size_t capacity_words_ = 0;
  size_t begin_bytes_ = 0;       // first unconsumed byte (always word-aligned)
  size_t end_bytes_ = 0;         // one past the last received byte
  size_t last_begin_bytes_ = 0;  // the message Next() returned last
  size_t last_end_bytes_ = 0;
};

}  // namespace sluice::ipc
