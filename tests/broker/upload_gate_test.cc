// The broker's upload stream checks (broker/upload_gate.h) on their own.
#include "broker/upload_gate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sluice::broker {
namespace {

using ::testing::HasSubstr;
using Action = UploadVerdict::Action;

UploadLimits Limits() {
  UploadLimits limits;
  limits.max_file_bytes = 1000;
  limits.chunk_bytes = 100;
  limits.max_open = 2;
  return limits;
}

TEST(UploadGateTest, AWholeStreamInOrderIsForwarded) {
  UploadGate gate(Limits());
  EXPECT_EQ(gate.Begin(1, "w", "a.csv", 150).action, Action::kForward);
  UploadVerdict first = gate.Chunk(1, 0, 100);
  EXPECT_EQ(first.action, Action::kForward);
  EXPECT_EQ(first.received, 100u);
  EXPECT_EQ(first.widget_id, "w");
  EXPECT_EQ(gate.Chunk(1, 100, 50).received, 150u);
  EXPECT_EQ(gate.End(1).action, Action::kForward);
  EXPECT_EQ(gate.open_uploads(), 0);
}

TEST(UploadGateTest, ADeclaredSizeOverTheLimitIsRefusedBeforeAnyByte) {
  UploadGate gate(Limits());
  UploadVerdict verdict = gate.Begin(1, "w", "big.csv", 1001);
  EXPECT_EQ(verdict.action, Action::kFail);
  EXPECT_FALSE(verdict.abort_worker);  // the worker never heard of it
  EXPECT_THAT(verdict.message, HasSubstr("over this server's limit of 1000 bytes"));
  // What the page sent before it heard is dropped without another message.
  EXPECT_EQ(gate.Chunk(1, 0, 100).action, Action::kIgnore);
  EXPECT_EQ(gate.End(1).action, Action::kIgnore);
}

TEST(UploadGateTest, BrokenStreamsFailAndTellTheWorkerToDrop) {
  UploadGate gate(Limits());
  gate.Begin(1, "w", "a", 300);
  gate.Chunk(1, 0, 100);
  UploadVerdict gap = gate.Chunk(1, 150, 100);
  EXPECT_EQ(gap.action, Action::kFail);
  EXPECT_TRUE(gap.abort_worker);
  EXPECT_THAT(gap.message, HasSubstr("out of order"));

  gate.Begin(2, "w", "b", 10);
  EXPECT_THAT(gate.Chunk(2, 0, 11).message, HasSubstr("more bytes arrived"));

  gate.Begin(3, "w", "c", 10);
  EXPECT_THAT(gate.Chunk(3, 0, 101).message, HasSubstr("larger than 100"));

  gate.Begin(4, "w", "d", 10);
  gate.Chunk(4, 0, 5);
  UploadVerdict truncated = gate.End(4);
  EXPECT_EQ(truncated.action, Action::kFail);
  EXPECT_THAT(truncated.message, HasSubstr("truncated"));

  EXPECT_THAT(gate.Chunk(42, 0, 1).message, HasSubstr("unknown upload 42"));
  EXPECT_EQ(gate.open_uploads(), 0);
}

TEST(UploadGateTest, OnlySoManyUploadsAreOpenAtOnce) {
  UploadGate gate(Limits());
  EXPECT_EQ(gate.Begin(1, "w", "a", 1).action, Action::kForward);
  EXPECT_EQ(gate.Begin(2, "w", "b", 1).action, Action::kForward);
  UploadVerdict third = gate.Begin(3, "w", "c", 1);
  EXPECT_EQ(third.action, Action::kFail);
  EXPECT_THAT(third.message, HasSubstr("at most 2 uploads"));
  // Reusing an open id breaks that upload too.
  UploadVerdict again = gate.Begin(1, "w", "a", 1);
  EXPECT_EQ(again.action, Action::kFail);
  EXPECT_TRUE(again.abort_worker);
  EXPECT_EQ(gate.Cancel(2).abort_worker, true);
  EXPECT_EQ(gate.open_uploads(), 0);
  EXPECT_EQ(gate.Begin(5, "w", "e", 1).action, Action::kForward);
  EXPECT_EQ(gate.CloseAll(), std::vector<std::uint32_t>{5});
}

TEST(UploadGateTest, ChunksLeaveRoomInTheLargestMessage) {
  EXPECT_EQ(UploadLimitsFor(4096 << 10, 1).chunk_bytes, 256u << 10);
  UploadLimits small = UploadLimitsFor(1024, 1);
  EXPECT_GT(small.chunk_bytes, 0u);
  EXPECT_LT(small.chunk_bytes, 1024u);
}

}  // namespace
}  // namespace sluice::broker
