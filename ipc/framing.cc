#include "ipc/framing.h"

#include <string.h>

#include <algorithm>
#include <cstring>

#include "util/strings.h"

namespace sluice::ipc {

namespace {
constexpr size_t kWord = sizeof(capnp::word);
constexpr std::uint32_t kMaxSegments = 512;  // what capnp's InputStreamMessageReader accepts
}  // namespace

capnp::ReaderOptions UntrustedReaderOptions(size_t max_message_bytes) {
  capnp::ReaderOptions options;
  // Traversal is bounded by a small multiple of the message size, which stops
  // amplification through shared pointers without limiting honest messages.
  options.traversalLimitInWords = std::max<size_t>(1024, max_message_bytes / kWord * 4);
  options.nestingLimit = 32;
  return options;
}

FrameReader::FrameReader(size_t max_message_bytes)
    : max_words_(std::max<size_t>(2, max_message_bytes / kWord)) {}

FrameReader::~FrameReader() {
  if (end_bytes_ > 0) explicit_bzero(words(), end_bytes_);
}

void FrameReader::Compact() {
  last_begin_bytes_ = last_end_bytes_ = 0;
  ReleaseIfDrained();
  if (begin_bytes_ == 0) return;
  auto* base = reinterpret_cast<std::byte*>(words());
  size_t unread = end_bytes_ - begin_bytes_;
  std::memmove(base, base + begin_bytes_, unread);
  explicit_bzero(base + unread, end_bytes_ - unread);
  end_bytes_ = unread;
  begin_bytes_ = 0;
}

void FrameReader::ReleaseIfDrained() {
  if (begin_bytes_ != end_bytes_ || capacity_bytes() <= kKeptBytes) return;
  explicit_bzero(words(), end_bytes_);
  buffer_.reset();
  capacity_words_ = 0;
  begin_bytes_ = end_bytes_ = 0;
  last_begin_bytes_ = last_end_bytes_ = 0;
}

std::optional<size_t> FrameReader::PendingMessageBytes() const {
  size_t available_words = (end_bytes_ - begin_bytes_) / kWord;
  if (available_words == 0) return std::nullopt;
  kj::ArrayPtr<const capnp::word> prefix(words() + begin_bytes_ / kWord, available_words);
  std::uint32_t count_field;
  std::memcpy(&count_field, prefix.begin(), sizeof(count_field));
  if (count_field >= kMaxSegments) return std::nullopt;  // Next() reports it
  // The whole segment table: four bytes of count, four per segment, padded
  // to a word.
  if (available_words < (count_field + 3) / 2) return std::nullopt;
  try {
    size_t expected = capnp::expectedSizeInWordsFromPrefix(prefix);
    if (expected > max_words_) return std::nullopt;  // Next() reports it
    return expected * kWord;
  } catch (const kj::Exception&) {
    return std::nullopt;  // Next() reports it
  }
}

std::span<std::byte> FrameReader::WritableSpace(size_t min_bytes) {
  Compact();
  size_t wanted = end_bytes_ + min_bytes;
  // The rest of a message being received needs no more room than that: a
  // buffer sized for a large message is not grown (copying it) for its
  // last read.
  if (std::optional<size_t> pending = PendingMessageBytes(); pending && *pending > end_bytes_) {
    wanted = std::min(wanted, *pending);
  }
  if (capacity_bytes() < wanted) {
    // Room for the whole message being received when its size is known,
    // else double, as vector::resize would: a large frame arrives in many
    // reads. Not zero-filled: the reads fill it.
    wanted = std::max(wanted, PendingMessageBytes().value_or(2 * capacity_bytes()));
    size_t grown_words = (wanted + kWord - 1) / kWord;
    auto grown = std::make_unique_for_overwrite<capnp::word[]>(grown_words);
    if (end_bytes_ > 0) {
      std::memcpy(grown.get(), words(), end_bytes_);
      explicit_bzero(words(), end_bytes_);
    }
    buffer_ = std::move(grown);
    capacity_words_ = grown_words;
  }
  return {reinterpret_cast<std::byte*>(words()) + end_bytes_, capacity_bytes() - end_bytes_};
}

void FrameReader::Commit(size_t n) { end_bytes_ += n; }

absl::StatusOr<std::optional<kj::ArrayPtr<const capnp::word>>> FrameReader::Next() {
  // The view handed out last is given up now: a large buffer that is all
  // handed out goes back to the allocator before the stream waits for more.
  ReleaseIfDrained();
  size_t available_words = (end_bytes_ - begin_bytes_) / kWord;
  if (available_words == 0) return std::nullopt;
  kj::ArrayPtr<const capnp::word> prefix(words() + begin_bytes_ / kWord, available_words);
  // capnp does not check the segment count (0xFFFFFFFF wraps to zero
  // segments); reject what its own stream reader would refuse.
  std::uint32_t count_field;
  std::memcpy(&count_field, prefix.begin(), sizeof(count_field));
  if (count_field >= kMaxSegments) {
    return absl::DataLossError(StrCat("corrupt frame: ", count_field + 1ull, " segments"));
  }
  size_t expected = 0;
  try {
    expected = capnp::expectedSizeInWordsFromPrefix(prefix);
  } catch (const kj::Exception& e) {
    return absl::DataLossError(StrCat("corrupt frame: ", e.getDescription().cStr()));
  }
  if (expected > max_words_) {
    return absl::ResourceExhaustedError(StrCat("frame of ", expected * kWord,
                                               " bytes exceeds the limit of ", max_words_ * kWord,
                                               " bytes"));
  }
  if (expected > available_words) return std::nullopt;
  last_begin_bytes_ = begin_bytes_;
  begin_bytes_ += expected * kWord;
  last_end_bytes_ = begin_bytes_;
  return prefix.slice(0, expected);
}

namespace {

// Frees a buffer of FrameReader's (made with new[]) that TakeNext handed out.
class HandedBufferDisposer final : public kj::ArrayDisposer {
 public:
  static const HandedBufferDisposer instance;

 private:
  void disposeImpl(void* first, size_t, size_t, size_t, void (*)(void*)) const override {
    delete[] static_cast<capnp::word*>(first);
  }
};
const HandedBufferDisposer HandedBufferDisposer::instance;

}  // namespace

absl::StatusOr<std::optional<kj::Array<capnp::word>>> FrameReader::TakeNext() {
  auto next = Next();
  if (!next.ok()) return next.status();
  if (!next->has_value()) return std::nullopt;
  kj::ArrayPtr<const capnp::word> message = **next;
  size_t message_bytes = message.size() * kWord;
  if (last_begin_bytes_ != 0 || message_bytes <= kKeptBytes) {
    kj::Array<capnp::word> copy = kj::heapArray<capnp::word>(message.size());
    std::memcpy(copy.begin(), message.begin(), message_bytes);
    return copy;
  }
  std::unique_ptr<capnp::word[]> handed = std::move(buffer_);
  size_t tail_bytes = end_bytes_ - begin_bytes_;  // the start of the next message
  capacity_words_ = 0;
  begin_bytes_ = end_bytes_ = 0;
  last_begin_bytes_ = last_end_bytes_ = 0;
  if (tail_bytes > 0) {
    auto* tail = reinterpret_cast<std::byte*>(handed.get()) + message_bytes;
    std::span<std::byte> space = WritableSpace(tail_bytes);
    std::memcpy(space.data(), tail, tail_bytes);
    Commit(tail_bytes);
    explicit_bzero(tail, tail_bytes);
  }
  return kj::Array<capnp::word>(handed.release(), message.size(), HandedBufferDisposer::instance);
}

void FrameReader::WipeLast() {
  if (last_end_bytes_ > last_begin_bytes_) {
    auto* base = reinterpret_cast<std::byte*>(words());
    explicit_bzero(base + last_begin_bytes_, last_end_bytes_ - last_begin_bytes_);
  }
  last_begin_bytes_ = last_end_bytes_ = 0;
}

}  // namespace sluice::ipc
