// The pure part of logging what apps print (worker/app_output.h): line
// splitting with a length limit, the per-worker line budget, and making text
// valid UTF-8 for the JSON log.
#include "worker/app_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::worker {
namespace {

using ::testing::ElementsAre;

struct Line {
  std::string text;
  bool cut;
  bool operator==(const Line&) const = default;
};

std::vector<Line> Split(std::size_t limit, std::initializer_list<std::string_view> chunks,
                        bool finish = true) {
  LineSplitter splitter(limit);
  std::vector<Line> lines;
  auto emit = [&](std::string_view text, bool cut) { lines.push_back({std::string(text), cut}); };
  for (std::string_view chunk : chunks) splitter.Feed(chunk, emit);
  if (finish) splitter.Finish(emit);
  return lines;
}

TEST(LineSplitterTest, SplitsOnNewlinesAcrossChunks) {
  EXPECT_THAT(
      Split(100, {"one\ntw", "o\n\nthr", "ee"}),
      ElementsAre(Line{"one", false}, Line{"two", false}, Line{"", false}, Line{"three", false}));
}

TEST(LineSplitterTest, KeepsAnUnfinishedLineUntilTheEnd) {
  EXPECT_THAT(Split(100, {"no newline"}, /*finish=*/false), ElementsAre());
  EXPECT_THAT(Split(100, {"no newline"}), ElementsAre(Line{"no newline", false}));
}

TEST(LineSplitterTest, CutsALongLineOnceAndSkipsItsRest) {
  EXPECT_THAT(Split(4, {"abcdefgh", "ijk\nxy\n"}),
              ElementsAre(Line{"abcd", true}, Line{"xy", false}));
}

TEST(LineSplitterTest, ALineOfExactlyTheLimitIsNotCut) {
  EXPECT_THAT(Split(4, {"abcd", "\nabcd\n"}),
              ElementsAre(Line{"abcd", false}, Line{"abcd", false}));
}

TEST(LineBudgetTest, AllowsABurstThenRefillsAtTheRate) {
  absl::Time start = absl::UnixEpoch();
  LineBudget budget(10, start);
  int taken = 0;
  while (budget.Take(start)) ++taken;
  EXPECT_EQ(taken, 10);
  EXPECT_FALSE(budget.Take(start + absl::Milliseconds(50)));
  EXPECT_TRUE(budget.Take(start + absl::Milliseconds(150)));
  // Never more than one second's worth, however long it was quiet.
  absl::Time later = start + absl::Hours(1);
  taken = 0;
  while (budget.Take(later)) ++taken;
  EXPECT_EQ(taken, 10);
}

TEST(LineBudgetTest, ZeroAllowsNothing) {
  LineBudget budget(0, absl::UnixEpoch());
  EXPECT_FALSE(budget.Take(absl::UnixEpoch() + absl::Hours(1)));
}

TEST(ToValidUtf8Test, KeepsValidTextAndReplacesInvalidBytes) {
  EXPECT_EQ(ToValidUtf8("plain \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80"),
            "plain \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80");
  const std::string kReplacement = "\xEF\xBF\xBD";
  EXPECT_EQ(ToValidUtf8("a\xFF"
                        "b"),
            "a" + kReplacement + "b");
  EXPECT_EQ(ToValidUtf8("\xC3"), kReplacement);                                        // truncated
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), kReplacement + kReplacement);                     // overlong
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // surrogate
}

}  // namespace
}  // namespace sluice::worker
