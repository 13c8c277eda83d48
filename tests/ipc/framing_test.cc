// ipc/framing.h: FrameReader splits a byte stream into capnp messages however
// the bytes arrive, and refuses oversized or corrupt frames.
#include "ipc/framing.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ipc/page.capnp.h"

namespace sluice::ipc {
namespace {

// A one-segment message, so its segment table is its first word.
std::vector<std::byte> HelloFrame(const std::string& token) {
  capnp::MallocMessageBuilder message(token.size() / sizeof(capnp::word) + 64);
  message.initRoot<PageMessage>().initHello().setReconnectToken(token);
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  std::vector<std::byte> out(bytes.size());
  std::memcpy(out.data(), bytes.begin(), bytes.size());
  return out;
}

void Feed(FrameReader& reader, const std::byte* data, size_t size) {
  std::span<std::byte> space = reader.WritableSpace(size);
  ASSERT_GE(space.size(), size);
  std::memcpy(space.data(), data, size);
  reader.Commit(size);
}

// Parses one handed-out frame as a PageMessage and returns its token.
std::string TokenOf(kj::ArrayPtr<const capnp::word> frame, size_t max_bytes = 1 << 20) {
  capnp::FlatArrayMessageReader message(frame, UntrustedReaderOptions(max_bytes));
  return message.getRoot<PageMessage>().getHello().getReconnectToken();
}

TEST(FrameReaderTest, MessageSplitAcrossReadsComesOutWhole) {
  std::vector<std::byte> frame = HelloFrame("split-token");
  FrameReader reader(1 << 20);
  for (size_t offset = 0; offset < frame.size(); offset += 3) {
    size_t n = std::min<size_t>(3, frame.size() - offset);
    ASSERT_NO_FATAL_FAILURE(Feed(reader, frame.data() + offset, n));
    auto next = reader.Next();
    ASSERT_TRUE(next.ok()) << next.status();
    if (offset + n < frame.size()) {
      EXPECT_FALSE(next->has_value())
          << "a message came out after " << offset + n << " of " << frame.size() << " bytes";
    } else {
      ASSERT_TRUE(next->has_value());
      EXPECT_EQ(TokenOf(**next), "split-token");
    }
  }
}

TEST(FrameReaderTest, SeveralMessagesInOneReadComeOutInOrder) {
  std::vector<std::byte> stream;
  for (const char* token : {"first", "second", "third"}) {
    std::vector<std::byte> frame = HelloFrame(token);
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  std::vector<std::byte> partial = HelloFrame("fourth");
  stream.insert(stream.end(), partial.begin(), partial.begin() + 8);  // only its first word

  FrameReader reader(1 << 20);
  ASSERT_NO_FATAL_FAILURE(Feed(reader, stream.data(), stream.size()));
  for (const char* token : {"first", "second", "third"}) {
    auto next = reader.Next();
    ASSERT_TRUE(next.ok()) << next.status();
    ASSERT_TRUE(next->has_value());
    EXPECT_EQ(TokenOf(**next), token);
  }
  auto rest = reader.Next();
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_FALSE(rest->has_value());

  // The rest of the fourth message completes it.
  ASSERT_NO_FATAL_FAILURE(Feed(reader, partial.data() + 8, partial.size() - 8));
  auto fourth = reader.Next();
  ASSERT_TRUE(fourth.ok()) << fourth.status();
  ASSERT_TRUE(fourth->has_value());
  EXPECT_EQ(TokenOf(**fourth), "fourth");
}

// Feeds `frame` the way a socket would: into whatever space the reader
// offers, at most `read_size` bytes at a time.
void FeedInReads(FrameReader& reader, const std::vector<std::byte>& frame, size_t read_size) {
  for (size_t done = 0; done < frame.size();) {
    std::span<std::byte> space = reader.WritableSpace();
    size_t n = std::min({space.size(), read_size, frame.size() - done});
    std::memcpy(space.data(), frame.data() + done, n);
    reader.Commit(n);
    done += n;
  }
}

TEST(FrameReaderTest, LargeMessageGetsOneBufferOfItsSizeNotADoubling) {
  std::vector<std::byte> frame = HelloFrame(std::string(5 << 20, 'x'));  // a little over 5 MiB
  FrameReader reader(64 << 20);
  ASSERT_NO_FATAL_FAILURE(FeedInReads(reader, frame, 64 * 1024));
  // Doubling from 64 KiB would have ended at 8 MiB.
  EXPECT_LT(reader.capacity_bytes(), frame.size() + 128 * 1024);
  auto next = reader.Next();
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ(TokenOf(**next, 64 << 20).size(), size_t{5} << 20);
}

TEST(FrameReaderTest, LargeBufferIsFreedOnceItsMessagesAreHandedOut) {
  std::vector<std::byte> big = HelloFrame(std::string(4 << 20, 'x'));
  std::vector<std::byte> small = HelloFrame("after");
  FrameReader reader(64 << 20);
  ASSERT_NO_FATAL_FAILURE(FeedInReads(reader, big, 256 * 1024));
  auto first = reader.Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_GE(reader.capacity_bytes(), big.size()) << "the view handed out must stay valid";
  // Asking for the next message gives the view up: a stream that waits
  // (its page does not read, say) no longer holds the large message.
  auto none = reader.Next();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_LE(reader.capacity_bytes(), FrameReader::kKeptBytes);
  // And the stream goes on.
  ASSERT_NO_FATAL_FAILURE(Feed(reader, small.data(), small.size()));
  auto second = reader.Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(TokenOf(**second), "after");
}

TEST(FrameReaderTest, LargeBufferWithAPartialMessageIsKept) {
  std::vector<std::byte> big = HelloFrame(std::string(2 << 20, 'x'));
  std::vector<std::byte> next_frame = HelloFrame("next");
  std::vector<std::byte> stream = big;
  stream.insert(stream.end(), next_frame.begin(), next_frame.begin() + 8);
  FrameReader reader(64 << 20);
  ASSERT_NO_FATAL_FAILURE(FeedInReads(reader, stream, 1 << 20));
  auto first = reader.Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  auto none = reader.Next();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_NO_FATAL_FAILURE(Feed(reader, next_frame.data() + 8, next_frame.size() - 8));
  auto second = reader.Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(TokenOf(**second), "next");
}

// The broker hands a worker's frame on to the page: a large one is given
// away as the buffer it was read into, not copied a second time.
TEST(FrameReaderTest, TakenLargeMessageIsTheBufferItWasReadIntoNotACopy) {
  std::vector<std::byte> big = HelloFrame(std::string(4 << 20, 'x'));
  std::vector<std::byte> small = HelloFrame("after");
  std::vector<std::byte> stream = big;
  stream.insert(stream.end(), small.begin(), small.begin() + 8);  // the next one begins
  FrameReader reader(64 << 20);
  std::span<std::byte> space = reader.WritableSpace(stream.size());
  std::memcpy(space.data(), stream.data(), stream.size());
  reader.Commit(stream.size());

  auto taken = reader.TakeNext();
  ASSERT_TRUE(taken.ok()) << taken.status();
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ(reinterpret_cast<std::byte*>((*taken)->begin()), space.data());
  EXPECT_EQ((*taken)->asBytes().size(), big.size());
  EXPECT_EQ(TokenOf(**taken, 64 << 20), std::string(4 << 20, 'x'));
  // The reader keeps only the start of the next message, and goes on.
  EXPECT_LE(reader.capacity_bytes(), FrameReader::kKeptBytes);
  ASSERT_NO_FATAL_FAILURE(Feed(reader, small.data() + 8, small.size() - 8));
  auto second = reader.TakeNext();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(TokenOf(**second), "after");
}

// Read as a socket delivers it, a large message lands in one buffer of its
// size, which is not grown (copying it) for the message's last read.
TEST(FrameReaderTest, LargeMessageIsReadIntoExactlyOneBuffer) {
  std::vector<std::byte> big = HelloFrame(std::string(4 << 20, 'x'));
  FrameReader reader(64 << 20);
  const std::byte* buffer = nullptr;
  for (size_t done = 0; done < big.size();) {
    std::span<std::byte> space = reader.WritableSpace();
    const std::byte* base = space.data() - done;
    if (done > 0 && buffer == nullptr) buffer = base;  // sized once the header is in
    EXPECT_TRUE(buffer == nullptr || base == buffer) << "regrown after " << done << " bytes";
    size_t n = std::min({space.size(), size_t{200} << 10, big.size() - done});
    std::memcpy(space.data(), big.data() + done, n);
    reader.Commit(n);
    done += n;
  }
  EXPECT_EQ(reader.capacity_bytes(), big.size());
  auto taken = reader.TakeNext();
  ASSERT_TRUE(taken.ok() && taken->has_value());
  EXPECT_EQ(reinterpret_cast<const std::byte*>((*taken)->begin()), buffer);
}

TEST(FrameReaderTest, TakenSmallMessagesAreCopiesThatOutliveTheReader) {
  std::vector<std::byte> stream;
  for (const char* token : {"one", "two"}) {
    std::vector<std::byte> frame = HelloFrame(token);
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  std::vector<kj::Array<capnp::word>> taken;
  {
    FrameReader reader(1 << 20);
    ASSERT_NO_FATAL_FAILURE(Feed(reader, stream.data(), stream.size()));
    for (int i = 0; i < 2; ++i) {
      auto next = reader.TakeNext();
      ASSERT_TRUE(next.ok() && next->has_value());
      taken.push_back(std::move(**next));
    }
    auto none = reader.TakeNext();
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
  }
  EXPECT_EQ(TokenOf(taken[0]), "one");
  EXPECT_EQ(TokenOf(taken[1]), "two");
}

TEST(FrameReaderTest, OversizedFrameIsRejectedFromItsHeader) {
  std::vector<std::byte> frame = HelloFrame(std::string(8192, 'x'));
  FrameReader reader(1024);
  // The segment table (one word) announces the size: no need to buffer the rest.
  ASSERT_NO_FATAL_FAILURE(Feed(reader, frame.data(), 8));
  auto next = reader.Next();
  ASSERT_FALSE(next.ok()) << "an 8 KiB frame passed a 1 KiB limit";
  EXPECT_EQ(next.status().code(), absl::StatusCode::kResourceExhausted) << next.status();
}

TEST(FrameReaderTest, FrameAtTheLimitIsAccepted) {
  std::vector<std::byte> frame = HelloFrame("just fits");
  FrameReader reader(frame.size());
  ASSERT_NO_FATAL_FAILURE(Feed(reader, frame.data(), frame.size()));
  auto next = reader.Next();
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ(TokenOf(**next), "just fits");
}

TEST(FrameReaderTest, CorruptSegmentTableIsRejected) {
  // The segment count field is "count - 1"; 0xffffffff wraps to zero
  // segments, which no writer produces (capnp's own stream reader refuses
  // it, and any count over 512).
  std::vector<std::byte> corrupt(64, std::byte{0xff});
  FrameReader reader(1 << 20);
  ASSERT_NO_FATAL_FAILURE(Feed(reader, corrupt.data(), corrupt.size()));
  auto next = reader.Next();
  EXPECT_FALSE(next.ok()) << "a frame with a corrupt segment table was handed out";
}

TEST(FrameReaderTest, CorruptFrameDoesNotParse) {
  // One segment of one word whose root pointer points far outside it: the
  // frame is well-sized, so it is handed out, and reading it must fail.
  uint32_t header[2] = {0, 1};
  uint64_t root = (uint64_t{1} << 32) | (uint64_t{0x1fffffff} << 2);  // struct far past the end
  std::vector<std::byte> frame(16);
  std::memcpy(frame.data(), header, 8);
  std::memcpy(frame.data() + 8, &root, 8);
  FrameReader reader(1 << 20);
  ASSERT_NO_FATAL_FAILURE(Feed(reader, frame.data(), frame.size()));
  auto next = reader.Next();
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE(next->has_value());
  EXPECT_ANY_THROW({
    capnp::FlatArrayMessageReader message(**next, UntrustedReaderOptions(1 << 20));
    (void)message.getRoot<PageMessage>().getHello().getReconnectToken();
  });
}

TEST(FrameReaderTest, ErrorIsFinal) {
  std::vector<std::byte> frame = HelloFrame(std::string(8192, 'x'));
  FrameReader reader(1024);
  ASSERT_NO_FATAL_FAILURE(Feed(reader, frame.data(), frame.size()));
  EXPECT_FALSE(reader.Next().ok());
  EXPECT_FALSE(reader.Next().ok()) << "the reader resynchronised after an oversized frame";
}

}  // namespace
}  // namespace sluice::ipc
