// ElementStream on its own, through a fake channel: which elements of a run
// reach the page, and what it remembers the page shows.
#include "runtime/element_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/text.h"
#include "tests/runtime/fake_channel.h"
#include "tests/support/owned_message.h"
#include "tests/support/page_model.h"

namespace sluice::runtime {
namespace {

using ::testing::ElementsAre;
using testing::FakeChannel;
using ::testing::IsEmpty;
using testing::Owned;
using testing::PageModel;

// Long enough that no test sees a timed flush: each run's deltas arrive in
// its finishing frame unless a test flushes on purpose.
constexpr std::chrono::hours kNoTimedFlush{24};

Owned<ipc::Element> Text(std::string_view text) {
  capnp::MallocMessageBuilder message;
  auto element = message.initRoot<ipc::Element>();
  element.adoptText(ipc::NewText(element, text));
  return Owned<ipc::Element>(message.getRoot<ipc::Element>().asReader());
}

Owned<ipc::Element> Expander(std::string_view label) {
  capnp::MallocMessageBuilder message;
  auto expander = message.initRoot<ipc::Element>().initExpander();
  expander.adoptLabel(ipc::NewText(expander, label));
  return Owned<ipc::Element>(message.getRoot<ipc::Element>().asReader());
}

ElementIdentity Identity(std::uint64_t n) { return {XXH128_hash_t{n, ~n}}; }

using Lengths = std::vector<std::pair<Path, std::uint32_t>>;

class ElementStreamTest : public ::testing::Test {
 protected:
  // One finished run that shows `texts` in main, in order.
  void RunShowing(const std::vector<std::string>& texts) {
    stream_.BeginRun(++run_id_);
    for (std::uint32_t i = 0; i < texts.size(); ++i)
      stream_.Put({kMainRoot, i}, Text(texts[i]).get());
    stream_.Finish({{{kMainRoot}, static_cast<std::uint32_t>(texts.size())}, {{kSidebarRoot}, 0}});
  }

  // The paths of the deltas sent since the last call, applied to page_.
  std::vector<Path> NewDeltaPaths() {
    std::vector<Path> paths;
    for (const Owned<ipc::ServerMessage>& message : channel_.TakeSent()) {
      page_.Apply(message.get());
      if (!message.get().isRun()) continue;
      for (ipc::Delta::Reader delta : message.get().getRun().getDeltas()) {
        Path path;
        for (std::uint32_t index : delta.getPath()) path.push_back(index);
        paths.push_back(std::move(path));
      }
    }
    return paths;
  }

  FakeChannel channel_;
  ElementStream stream_{channel_, kNoTimedFlush};
  PageModel page_;
  std::uint64_t run_id_ = 0;
};

TEST_F(ElementStreamTest, FirstRunSendsEveryElement) {
  RunShowing({"a", "b"});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}, Path{0, 1}));
  EXPECT_THAT(page_.Texts(), ElementsAre("a", "b"));
  EXPECT_EQ(page_.finished_runs(), 1);
}

TEST_F(ElementStreamTest, RerunSendsOnlyChangedElements) {
  RunShowing({"a", "b", "c"});
  NewDeltaPaths();
  RunShowing({"a", "B", "c"});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 1}));
  EXPECT_THAT(page_.Texts(), ElementsAre("a", "B", "c"));
  RunShowing({"a", "B", "c"});
  EXPECT_THAT(NewDeltaPaths(), IsEmpty());
  EXPECT_EQ(page_.finished_runs(), 3);
}

TEST_F(ElementStreamTest, ShorterRunTrimsThePageAndLaterResendsTheTrimmedElements) {
  RunShowing({"a", "b", "c"});
  NewDeltaPaths();
  RunShowing({"a"});
  EXPECT_THAT(NewDeltaPaths(), IsEmpty());
  EXPECT_THAT(page_.Texts(), ElementsAre("a"));
  // The page dropped b and c: showing them again must send them again.
  RunShowing({"a", "b", "c"});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 1}, Path{0, 2}));
  EXPECT_THAT(page_.Texts(), ElementsAre("a", "b", "c"));
}

TEST_F(ElementStreamTest, ReplacedElementTakesItsChildrenWithIt) {
  auto run_with_expander = [&] {
    stream_.BeginRun(++run_id_);
    stream_.Put({kMainRoot, 0}, Expander("more").get());
    stream_.Put({kMainRoot, 0, 0, 0}, Text("inside").get());
    stream_.Finish({{{kMainRoot}, 1}, {{kSidebarRoot}, 0}, {{kMainRoot, 0, 0}, 1}});
  };
  run_with_expander();
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}, Path{0, 0, 0, 0}));

  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Text("flat").get());
  stream_.Finish({{{kMainRoot}, 1}, {{kSidebarRoot}, 0}});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}));

  // The page rebuilt [0, 0] without children; "inside" is new to it.
  run_with_expander();
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}, Path{0, 0, 0, 0}));
}

// A columns element whose count changed is rebuilt empty on the page, so a
// child that is the same as before must be sent again.
TEST_F(ElementStreamTest, ChangedBlockResendsAnUnchangedChild) {
  auto run_with_label = [&](std::string_view label) {
    stream_.BeginRun(++run_id_);
    stream_.Put({kMainRoot, 0}, Expander(label).get());
    stream_.Put({kMainRoot, 0, 0, 0}, Text("the same child").get());
    stream_.Finish({{{kMainRoot}, 1}, {{kSidebarRoot}, 0}, {{kMainRoot, 0, 0}, 1}});
  };
  run_with_label("first");
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}, Path{0, 0, 0, 0}));
  run_with_label("first");
  EXPECT_THAT(NewDeltaPaths(), IsEmpty());
  run_with_label("second");
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}, Path{0, 0, 0, 0}));
}

TEST_F(ElementStreamTest, ForgetSentResendsEverything) {
  RunShowing({"a", "b"});
  NewDeltaPaths();
  stream_.ForgetSent();  // the page reconnected with nothing on it
  RunShowing({"a", "b"});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}, Path{0, 1}));
}

TEST_F(ElementStreamTest, InterruptedRunsPendingDeltasAreDropped) {
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Text("stale").get());
  stream_.Put({kMainRoot, 1}, Text("stale too").get());
  // A newer change interrupts before anything was sent.
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Text("fresh").get());
  stream_.Finish({{{kMainRoot}, 1}, {{kSidebarRoot}, 0}});
  ASSERT_EQ(channel_.sent().size(), 1u);
  EXPECT_EQ(channel_.sent()[0].get().getRun().getRunId(), run_id_);
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}));
  EXPECT_THAT(page_.Texts(), ElementsAre("fresh"));
}

TEST_F(ElementStreamTest, FlushNowSendsWhatIsPendingBeforeTheRunEnds) {
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Text("computing...").get());
  stream_.FlushNow();
  ASSERT_EQ(channel_.sent().size(), 1u);
  ipc::RunUpdate::Reader first = channel_.sent()[0].get().getRun();
  EXPECT_TRUE(first.getStarted());
  EXPECT_FALSE(first.getFinished());
  EXPECT_EQ(first.getDeltas().size(), 1u);
  stream_.Finish({{{kMainRoot}, 1}, {{kSidebarRoot}, 0}});
  ASSERT_EQ(channel_.sent().size(), 2u);
  ipc::RunUpdate::Reader last = channel_.sent()[1].get().getRun();
  EXPECT_FALSE(last.getStarted());
  EXPECT_TRUE(last.getFinished());
  EXPECT_EQ(last.getDeltas().size(), 0u);
}

TEST_F(ElementStreamTest, ElementWithTheIdentityThePageHasIsNotResent) {
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Text("large v1").get(), Identity(1));
  stream_.Finish({{{kMainRoot}, 1}});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}));
  // The caller's identity is trusted, not checked against the content: an
  // element that says it is unchanged is not looked at (nor hashed).
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Text("large v1, not re-read").get(), Identity(1));
  stream_.Finish({{{kMainRoot}, 1}});
  EXPECT_THAT(NewDeltaPaths(), IsEmpty());
  EXPECT_THAT(page_.Texts(), ElementsAre("large v1"));
}

TEST_F(ElementStreamTest, ElementWithAnotherIdentityIsResentEvenWithTheSameContent) {
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Text("large").get(), Identity(1));
  stream_.Finish({{{kMainRoot}, 1}});
  NewDeltaPaths();
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Text("large").get(), Identity(2));
  stream_.Finish({{{kMainRoot}, 1}});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}));
}

TEST_F(ElementStreamTest, CanonicalElementSharedWithACaptureIsSentOnce) {
  Owned<ipc::Element> text = Text("cached");
  std::shared_ptr<const CanonicalElement> canonical = Canonicalize(text.get());
  EXPECT_EQ(canonical->identity, ContentIdentity(canonical->words));
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, canonical);
  stream_.Finish({{{kMainRoot}, 1}});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}));
  // The same element Put as a Reader has the same (content) identity.
  RunShowing({"cached"});
  EXPECT_THAT(NewDeltaPaths(), IsEmpty());
  EXPECT_THAT(page_.Texts(), ElementsAre("cached"));
}

TEST_F(ElementStreamTest, PathSetAThousandTimesBeforeAFlushSendsTheLastContentOnce) {
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Text("title").get());
  for (int i = 1; i <= 1000; ++i) {
    stream_.Put({kMainRoot, 1}, Text("replacement " + std::to_string(i)).get());
  }
  stream_.Finish({{{kMainRoot}, 2}, {{kSidebarRoot}, 0}});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}, Path{0, 1}));
  EXPECT_THAT(page_.Texts(), ElementsAre("title", "replacement 1000"));
}

TEST_F(ElementStreamTest, UnsentSaysWhetherAPathsDeltaIsWaiting) {
  stream_.BeginRun(++run_id_);
  EXPECT_FALSE(stream_.Unsent({kMainRoot, 0}));
  stream_.Put({kMainRoot, 0}, Text("a").get());
  EXPECT_TRUE(stream_.Unsent({kMainRoot, 0}));
  EXPECT_FALSE(stream_.Unsent({kMainRoot, 1}));
  stream_.FlushNow();
  EXPECT_FALSE(stream_.Unsent({kMainRoot, 0}));
  stream_.Put({kMainRoot, 0}, Text("b").get());
  EXPECT_TRUE(stream_.Unsent({kMainRoot, 0}));
  stream_.Finish({{{kMainRoot}, 1}, {{kSidebarRoot}, 0}});
  EXPECT_FALSE(stream_.Unsent({kMainRoot, 0}));
}

// A block set again (st::empty's slot showing a line where it showed an
// expander) takes its unsent children with it: sent after it, they would
// land in a container the page no longer has.
TEST_F(ElementStreamTest, BlockSetAgainDropsItsUnsentChildren) {
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Expander("more").get());
  stream_.Put({kMainRoot, 0, 0, 0}, Text("inside").get());
  stream_.Put({kMainRoot, 1}, Text("after").get());
  stream_.Put({kMainRoot, 0}, Text("flat").get());
  stream_.Finish({{{kMainRoot}, 2}, {{kSidebarRoot}, 0}});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 1}, Path{0, 0}));
  EXPECT_THAT(page_.Texts(), ElementsAre("flat", "after"));
  EXPECT_THAT(page_.protocol_errors(), IsEmpty());
}

// The same, after the block and its child went out: the new children that
// follow the block's new content are sent after it.
TEST_F(ElementStreamTest, BlockSetAgainAfterAFlushGetsItsNewChildrenAfterIt) {
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Expander("first").get());
  stream_.Put({kMainRoot, 0, 0, 0}, Text("old child").get());
  stream_.FlushNow();
  NewDeltaPaths();
  stream_.Put({kMainRoot, 0, 0, 0}, Text("child set again").get());
  stream_.Put({kMainRoot, 0}, Expander("second").get());
  stream_.Put({kMainRoot, 0, 0, 0}, Text("new child").get());
  stream_.Finish({{{kMainRoot}, 1}, {{kSidebarRoot}, 0}, {{kMainRoot, 0, 0}, 1}});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}, Path{0, 0, 0, 0}));
  EXPECT_THAT(page_.Texts(), ElementsAre("new child"));
  EXPECT_THAT(page_.protocol_errors(), IsEmpty());
}

// Set to something else and back before a flush: the page keeps what it
// has, rather than getting the element in between.
TEST_F(ElementStreamTest, ElementSetBackToWhatThePageShowsSendsNothing) {
  RunShowing({"a"});
  NewDeltaPaths();
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Text("between").get());
  stream_.Put({kMainRoot, 0}, Text("a").get());
  stream_.Finish({{{kMainRoot}, 1}, {{kSidebarRoot}, 0}});
  EXPECT_THAT(NewDeltaPaths(), IsEmpty());
  EXPECT_THAT(page_.Texts(), ElementsAre("a"));
  // The same with an identity of the caller's (the fast path).
  stream_.BeginRun(++run_id_);
  stream_.Put({kMainRoot, 0}, Text("large").get(), Identity(7));
  stream_.FlushNow();
  stream_.Put({kMainRoot, 0}, Text("between").get());
  stream_.Put({kMainRoot, 0}, Text("large").get(), Identity(7));
  stream_.Finish({{{kMainRoot}, 1}, {{kSidebarRoot}, 0}});
  EXPECT_THAT(NewDeltaPaths(), ElementsAre(Path{0, 0}));
  EXPECT_THAT(page_.Texts(), ElementsAre("large"));
}

}  // namespace
}  // namespace sluice::runtime
