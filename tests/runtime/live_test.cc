// The live elements through a fake channel: st::empty's slot, st::progress,
// st::spinner and st::toast set in place during a run, as a PageModel (the
// page's rules) ends up showing them, and what is refused with which error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "runtime/app_runner.h"
#include "runtime/element_kinds.h"
#include "sluice/st.hpp"
#include "tests/runtime/fake_channel.h"
#include "tests/runtime/runner_test_base.h"
#include "tests/support/page_model.h"

namespace sluice::runtime {
namespace {

testing::ElementPath PathOf(capnp::List<uint32_t>::Reader list) {
  testing::ElementPath path;
  for (uint32_t index : list) path.push_back(index);
  return path;
}

using testing::ElementPath;
using ::testing::ElementsAre;
using testing::FakeChannel;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::PageModel;
using testing::ShownElement;
using ::testing::SizeIs;

class LiveTest : public RunnerTest {
 protected:
  // How many deltas every frame sent so far carried for `path`.
  std::size_t DeltasAt(const ElementPath& path) const {
    std::size_t count = 0;
    for (const auto& message : channel_.sent()) {
      if (!message.get().isRun()) continue;
      for (ipc::Delta::Reader delta : message.get().getRun().getDeltas()) {
        ElementPath at = PathOf(delta.getPath());
        if (at == path) ++count;
      }
    }
    return count;
  }

  // The one element at `path`, or a failure.
  std::optional<ShownElement> At(const ElementPath& path) const {
    std::optional<ShownElement> found;
    page_.ForEachElement([&](const ElementPath& at, ipc::Element::Reader element) {
      if (at == path) {
        found = ShownElement{at, std::string(ElementKindName(element.which())),
                             testing::ElementText(element).value_or("")};
      }
    });
    return found;
  }
};

// ---- st::empty -------------------------------------------------------------

void SlotSetTwiceApp() {
  st::title("top");
  st::Slot slot = st::empty();
  st::text("after");
  slot.text("first");
  slot.text("second");
}

TEST_F(LiveTest, SlotIsReplacedInPlaceAndKeepsItsPosition) {
  Start(SlotSetTwiceApp);
  EXPECT_THAT(page_.Texts(), ElementsAre("top", "second", "after")) << page_.DebugString();
  EXPECT_EQ(page_.PathOfText("second"), (ElementPath{0, 1}));
  EXPECT_THAT(page_.protocol_errors(), IsEmpty());
}

void SlotOfManyKindsApp() {
  st::Slot a = st::empty();
  st::Slot b = st::empty();
  st::Slot c = st::empty();
  st::Slot d = st::empty();
  a.markdown("**bold**");
  b.caption("a note");
  c.metric("Rows", 42, {.delta = 2});
  d.show([] { st::info("any kind goes through show()"); });
}

TEST_F(LiveTest, SlotTakesEveryKindThroughShow) {
  Start(SlotOfManyKindsApp);
  EXPECT_EQ(At({0, 0})->kind, "markdown");
  EXPECT_EQ(At({0, 1})->kind, "caption");
  EXPECT_EQ(At({0, 1})->text, "a note");
  EXPECT_EQ(At({0, 2})->kind, "metric");
  EXPECT_EQ(At({0, 2})->text, "Rows 42 up 2");
  EXPECT_EQ(At({0, 3})->kind, "alert");
  EXPECT_EQ(At({0, 3})->text, "any kind goes through show()");
}

int g_shown_result = 0;
void SlotShowReturnsApp() {
  st::Slot slot = st::empty();
  g_shown_result = slot.show([] {
    st::text("shown");
    return 7;
  });
}

TEST_F(LiveTest, ShowReturnsWhatTheFunctionReturns) {
  Start(SlotShowReturnsApp);
  EXPECT_EQ(g_shown_result, 7);
  EXPECT_EQ(page_.PathOfText("shown"), (ElementPath{0, 0}));
}

void SlotClearedApp() {
  st::Slot cleared = st::empty();
  st::Slot shown_nothing = st::empty();
  cleared.text("gone");
  cleared.empty();
  shown_nothing.text("gone too");
  shown_nothing.show([] {});
  st::text("end");
}

TEST_F(LiveTest, EmptyAndAShowOfNothingClearTheSlot) {
  Start(SlotClearedApp);
  EXPECT_THAT(page_.Texts(), ElementsAre("end")) << page_.DebugString();
  EXPECT_EQ(At({0, 0})->kind, "empty");
  EXPECT_EQ(At({0, 1})->kind, "empty");
  EXPECT_EQ(page_.PathOfText("end"), (ElementPath{0, 2}));
}

void TwoElementsInOneShowApp() {
  st::Slot slot = st::empty();
  slot.show([] {
    st::text("one");
    st::text("two");
  });
}

TEST_F(LiveTest, SecondElementInOneShowIsALogicError) {
  Start(TwoElementsInOneShowApp);
  ExpectException("logic_error", "holds one element");
  EXPECT_EQ(page_.PathOfText("one"), (ElementPath{0, 0}));
  EXPECT_FALSE(page_.HasText("two"));
}

void BlockInASlotApp() {
  bool flat = st::checkbox("flat");
  st::Slot slot = st::empty();
  slot.show([] {
    auto more = st::expander("more", true);
    st::text("inside the slot's expander");
    st::text("second inside");
  });
  if (flat) slot.text("flat now");
  st::text("after");
}

TEST_F(LiveTest, BlockInASlotKeepsItsChildrenUntilTheSlotIsSetAgain) {
  Start(BlockInASlotApp);
  EXPECT_THAT(page_.Texts(), ElementsAre("inside the slot's expander", "second inside", "after"))
      << page_.DebugString();
  EXPECT_EQ(page_.PathOfText("second inside"), (ElementPath{0, 1, 0, 1}));
  Serve(WidgetChangeCommand{.widget_id = IdOf("flat"), .value = true});
  EXPECT_THAT(page_.Texts(), ElementsAre("flat now", "after")) << page_.DebugString();
  EXPECT_THAT(page_.protocol_errors(), IsEmpty());
  // The lengths the run ended with name no container of the gone expander.
  auto last = channel_.sent().back().get().getRun();
  for (ipc::ContainerLength::Reader length : last.getLengths()) {
    ElementPath path = PathOf(length.getPath());
    EXPECT_NE(path, (ElementPath{0, 1, 0}));
  }
}

void EnterReplacedColumnsApp() {
  st::Slot slot = st::empty();
  st::Columns columns = slot.show([] { return st::columns(2); });
  slot.text("replaced");
  auto left = columns[0];
  st::text("lost");
}

TEST_F(LiveTest, ColumnsOfASlotSetAgainCannotBeEntered) {
  Start(EnterReplacedColumnsApp);
  ExpectException("logic_error", "no longer on the page");
  EXPECT_FALSE(page_.HasText("lost"));
}

void SetFromInsideItsBlockApp() {
  st::Slot slot = st::empty();
  slot.show([&] {
    auto more = st::expander("more");
    slot.text("inside out");
  });
}

TEST_F(LiveTest, SlotSetFromInsideTheBlockItShowsIsALogicError) {
  Start(SetFromInsideItsBlockApp);
  ExpectException("logic_error", "from inside the block it shows");
  EXPECT_THAT(page_.protocol_errors(), IsEmpty());
}

std::optional<st::Slot> g_kept_slot;
void KeepsASlotApp() {
  bool again = st::checkbox("again");
  if (!again) {
    g_kept_slot.emplace(st::empty());
  } else {
    g_kept_slot->text("from a later run");
  }
}

TEST_F(LiveTest, SlotOfAnEarlierRunIsALogicError) {
  Start(KeepsASlotApp);
  Serve(WidgetChangeCommand{.widget_id = IdOf("again"), .value = true});
  ExpectException("logic_error", "after the run that showed it");
  EXPECT_FALSE(page_.HasText("from a later run"));
  g_kept_slot.reset();
}

void ThousandReplacementsApp() {
  st::Slot slot = st::empty();
  for (int i = 1; i <= 1000; ++i) slot.text("replacement " + std::to_string(i));
  st::text("done");
}

TEST_F(LiveTest, SlotReplacedAThousandTimesEndsWithTheLastAndSendsFarFewerDeltas) {
  Start(ThousandReplacementsApp);
  EXPECT_THAT(page_.Texts(), ElementsAre("replacement 1000", "done")) << page_.DebugString();
  // One delta per stream interval at most (the run's frames), not one per
  // replacement: a thousand replacements take far less than 500 intervals.
  EXPECT_LT(DeltasAt({0, 0}), 500u);
  EXPECT_GE(DeltasAt({0, 0}), 1u);
}

// A cached function computing inside show(): its spinner holds the slot's
// place (not the next position) until what it shows replaces it there.
const auto g_cached_line = st::cache_data([](int n) {
  st::text("computed " + std::to_string(n));
  return n;
});
const auto g_cached_quiet = st::cache_data([](int n) { return n * 2; });
void CachedInASlotApp() {
  st::Slot shows = st::empty();
  st::Slot quiet = st::empty();
  st::text("after");
  shows.show([] { g_cached_line(1); });
  quiet.show([] { g_cached_quiet(2); });
}

TEST_F(LiveTest, CacheSpinnerInsideShowHoldsTheSlotsPlace) {
  Start(CachedInASlotApp);
  std::vector<ElementPath> spinner_paths;
  for (const auto& message : channel_.sent()) {
    if (!message.get().isRun()) continue;
    for (ipc::Delta::Reader delta : message.get().getRun().getDeltas()) {
      if (delta.getElement().isSpinner()) spinner_paths.push_back(PathOf(delta.getPath()));
    }
  }
  EXPECT_THAT(spinner_paths, ElementsAre(ElementPath{0, 0}, ElementPath{0, 1}));
  EXPECT_EQ(page_.PathOfText("computed 1"), (ElementPath{0, 0})) << page_.DebugString();
  EXPECT_EQ(At({0, 1})->kind, "empty");
  EXPECT_EQ(page_.PathOfText("after"), (ElementPath{0, 2}));
  EXPECT_THAT(page_.FindElements("spinner"), IsEmpty());
  EXPECT_THAT(page_.protocol_errors(), IsEmpty());
}

// ---- st::progress ---------------------------------------------------------

void ProgressApp() {
  st::Progress bar = st::progress(0, "starting");
  st::text("below");
  bar.update(0.25, "a quarter");
  bar.update(0.5, "half");
}

TEST_F(LiveTest, ProgressIsUpdatedInPlace) {
  Start(ProgressApp);
  std::vector<ShownElement> bars = page_.FindElements("progress");
  ASSERT_THAT(bars, SizeIs(1)) << page_.DebugString();
  EXPECT_EQ(bars[0].path, (ElementPath{0, 0}));
  EXPECT_EQ(bars[0].text, "half 50 %");
  EXPECT_EQ(page_.PathOfText("below"), (ElementPath{0, 1}));
}

void ProgressRefusesApp() {
  std::string which = st::radio("which", {"over", "nan", "update"});
  if (which == "over") st::progress(1.5);
  if (which == "nan") st::progress(std::numeric_limits<double>::quiet_NaN());
  if (which == "update") st::progress(0.5).update(-0.01);
}

TEST_F(LiveTest, ProgressOutsideZeroToOneOrNanIsInvalidArgument) {
  Start(ProgressRefusesApp);
  ExpectException("invalid_argument", "between 0 and 1");
  Serve(WidgetChangeCommand{.widget_id = IdOf("which"), .value = OptionIndex{1}});
  ExpectException("invalid_argument", "st::progress(nan)");
  Serve(WidgetChangeCommand{.widget_id = IdOf("which"), .value = OptionIndex{2}});
  ExpectException("invalid_argument", "st::Progress::update(-0.01)");
}

// ---- st::spinner -----------------------------------------------------------

void SpinnerApp() {
  {
    st::Spinner busy = st::spinner("Crunching");
    st::text("inside");
  }
  st::text("after");
}

TEST_F(LiveTest, SpinnerShowsAtOnceAndLeavesAnEmptyPlace) {
  runner_ = std::make_unique<AppRunner>(channel_, SpinnerApp);
  channel_.Queue(StartCommand{.session_id = "live-session", .max_upload_bytes = 1 << 20});
  runner_->ServeOne();
  // The spinner went out alone, before anything after it was shown.
  ASSERT_GE(channel_.sent().size(), 2u);
  auto first = channel_.sent()[0].get().getRun();
  ASSERT_EQ(first.getDeltas().size(), 1u);
  EXPECT_TRUE(first.getDeltas()[0].getElement().isSpinner());
  EXPECT_EQ(PathOf(first.getDeltas()[0].getPath()), (ElementPath{0, 0}));
  // Its end went out at once too, before the run's last frame.
  ASSERT_GE(channel_.sent().size(), 3u);
  auto second = channel_.sent()[1].get().getRun();
  EXPECT_FALSE(second.getFinished());
  bool emptied = false;
  for (ipc::Delta::Reader delta : second.getDeltas()) {
    emptied |= PathOf(delta.getPath()) == ElementPath{0, 0} && delta.getElement().isEmpty();
  }
  EXPECT_TRUE(emptied) << "the spinner's end waited for the run's end";
  channel_.ApplyNewTo(page_);
  EXPECT_EQ(At({0, 0})->kind, "empty") << page_.DebugString();
  EXPECT_THAT(page_.Texts(), ElementsAre("inside", "after"));
  EXPECT_EQ(page_.PathOfText("after"), (ElementPath{0, 2}));
}

void SpinnerUnwoundApp() {
  st::Spinner busy = st::spinner("Crunching");
  throw std::runtime_error("the work failed");
}

TEST_F(LiveTest, SpinnerEndedByAnExceptionGoesToo) {
  Start(SpinnerUnwoundApp);
  EXPECT_TRUE(page_.FindElements("spinner").empty()) << page_.DebugString();
  ExpectException("runtime_error", "the work failed");
}

// ---- st::toast ---------------------------------------------------------------

void ToastApp() {
  st::slider("level", 0, 10, 3);
  st::toast("Saved", {.icon = "✅"});
}

TEST_F(LiveTest, ToastIsSentAgainByEveryRunThatShowsIt) {
  Start(ToastApp);
  std::vector<ShownElement> toasts = page_.FindElements("toast");
  ASSERT_THAT(toasts, SizeIs(1)) << page_.DebugString();
  EXPECT_EQ(toasts[0].text, "Saved");
  EXPECT_EQ(DeltasAt({0, 1}), 1u);
  // The same toast at the same place: unchanged content, but a new notice.
  Serve(WidgetChangeCommand{.widget_id = IdOf("level"), .value = 4.0});
  EXPECT_EQ(DeltasAt({0, 1}), 2u);
}

// ---- the stream, through a handle -------------------------------------------

bool g_unsent_after_flush = true;
void UnsentApp() {
  AppRunner& runner = AppRunner::Current();
  ElementRef ref = runner.Ref(runner.Emit([](ipc::Element::Builder e) { e.setEmpty(); }));
  runner.FlushNow();
  g_unsent_after_flush = runner.Unsent(ref);
}

TEST_F(LiveTest, UnsentIsFalseOnceTheElementWentOut) {
  Start(UnsentApp);
  EXPECT_FALSE(g_unsent_after_flush);
}

}  // namespace
}  // namespace sluice::runtime
