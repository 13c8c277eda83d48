// The st:: API as a viewer sees it (tests/apps/api_app.cc): callbacks run
// before the rerun, keyed widgets live in session_state, contains/erase and
// typed reads, st::rerun() and st::stop(), layout paths, radio and
// number_input, widget identity, and text that arrives exactly as written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// The path of the first element of kind `which`, and for an expander with
// `label`.
std::optional<ElementPath> PathOfBlock(const PageModel& page, ipc::Element::Which which,
                                       std::string_view label = "") {
  std::optional<ElementPath> found;
  page.ForEachElement([&](const ElementPath& path, ipc::Element::Reader element) {
    if (found || element.which() != which) return;
    if (which == ipc::Element::EXPANDER) {
      capnp::Text::Reader shown = element.getExpander().getLabel();
      if (std::string_view(shown.cStr(), shown.size()) != label) return;
    }
    found = path;
  });
  return found;
}

ElementPath Child(ElementPath path, std::initializer_list<uint32_t> suffix) {
  path.insert(path.end(), suffix);
  return path;
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kApiApp));
    ASSERT_OK_AND_ASSIGN(tab_, AppSession::Open(broker_->port()));
  }

  const PageModel& page() const { return tab_->page(); }

  // Sends `value` to the widget with `id` and waits for the next finished run.
  void ChangeById(const std::string& id, const WidgetInput& value) {
    ASSERT_OK(tab_->client().SendWidgetChange(id, value));
    ASSERT_OK(tab_->page().RunUntilFinished(tab_->client()));
  }

  // The number after `prefix` in the text that starts with it.
  std::optional<int> NumberAfter(std::string_view prefix) const {
    std::optional<std::string> text = page().TextStartingWith(prefix);
    int number;
    if (!text || !absl::SimpleAtoi(text->substr(prefix.size()), &number)) return std::nullopt;
    return number;
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AppSession> tab_;
};

TEST_F(ApiTest, OnClickRunsBeforeTheRunThatFollowsTheClick) {
  // "bumps: N" comes before the button, so the run that follows a click shows
  // the new count only if the callback ran before the app function.
  EXPECT_THAT(page().Texts(), Contains("bumps: 0")) << page().DebugString();
  ASSERT_OK(tab_->Click("bump"));
  EXPECT_THAT(page().Texts(), Contains("bumps: 1")) << page().DebugString();
  ASSERT_OK(tab_->Click("bump"));
  EXPECT_THAT(page().Texts(), Contains("bumps: 2")) << page().DebugString();
  // A rerun for another widget does not call it again.
  ASSERT_OK(tab_->Change("pick", WidgetInput::Index(0)));
  EXPECT_THAT(page().Texts(), Contains("bumps: 2")) << page().DebugString();
  EXPECT_THAT(page().protocol_errors(), IsEmpty());
}

TEST_F(ApiTest, OnChangeSeesTheNewValueBeforeTheRun) {
  EXPECT_THAT(page().Texts(), Contains("log: ")) << page().DebugString();
  ASSERT_OK(tab_->Change("level", WidgetInput::Number(5)));
  EXPECT_THAT(page().Texts(), Contains("log: level=5;")) << page().DebugString();
  ASSERT_OK(tab_->Change("level", WidgetInput::Number(8)));
  EXPECT_THAT(page().Texts(), Contains("log: level=5;level=8;")) << page().DebugString();
  EXPECT_EQ(page().FindWidget("level")->number, 8);
  // Other widgets' reruns leave the log alone.
  ASSERT_OK(tab_->Click("bump"));
  EXPECT_THAT(page().Texts(), Contains("log: level=5;level=8;")) << page().DebugString();
}

TEST_F(ApiTest, KeyedSliderShowsAndReturnsTheValueTheAppSetInSessionState) {
  ASSERT_TRUE(page().FindWidget("n").has_value()) << page().DebugString();
  EXPECT_EQ(page().FindWidget("n")->number, 2);
  EXPECT_THAT(page().Texts(), Contains("n returned 2")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("n in state: 2")) << page().DebugString();

  ASSERT_OK(tab_->Click("preset"));
  EXPECT_EQ(page().FindWidget("n")->number, 7) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("n returned 7")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("n in state: 7")) << page().DebugString();

  // The value stays without the button, and the viewer's change replaces it.
  ASSERT_OK(tab_->Click("bump"));
  EXPECT_EQ(page().FindWidget("n")->number, 7) << page().DebugString();
  ASSERT_OK(tab_->Change("n", WidgetInput::Number(4)));
  EXPECT_EQ(page().FindWidget("n")->number, 4) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("n returned 4")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("n in state: 4")) << page().DebugString();
  EXPECT_THAT(page().Exceptions(), IsEmpty()) << page().DebugString();
}

TEST_F(ApiTest, KeyedTextInputIsReadableFromSessionState) {
  EXPECT_THAT(page().Texts(), Contains("nick before widget: (unset)")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("nick in state: ")) << page().DebugString();

  ASSERT_OK(tab_->Change("nick", WidgetInput::Text("Ada")));
  // Already in session_state before the widget's call in this run.
  EXPECT_THAT(page().Texts(), Contains("nick before widget: Ada")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("nick in state: Ada")) << page().DebugString();
  EXPECT_EQ(page().FindWidget("nick")->text, "Ada");
}

TEST_F(ApiTest, EraseRemovesTheKeyAndContainsSeesIt) {
  EXPECT_THAT(page().Texts(), Contains("memo: absent")) << page().DebugString();
  ASSERT_OK(tab_->Click("remember"));
  EXPECT_THAT(page().Texts(), Contains("memo: kept")) << page().DebugString();
  ASSERT_OK(tab_->Click("bump"));
  EXPECT_THAT(page().Texts(), Contains("memo: kept")) << page().DebugString();
  ASSERT_OK(tab_->Change("nick", WidgetInput::Text("Ada")));

  ASSERT_OK(tab_->Click("forget"));
  EXPECT_THAT(page().Texts(), Contains("memo: absent")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Not(Contains("memo: kept"))) << page().DebugString();
  // "forget" runs after the text_input in that run; the next run starts
  // without the key, so the widget falls back to its initial value.
  ASSERT_OK(tab_->Click("bump"));
  EXPECT_THAT(page().Texts(), Contains("nick before widget: (unset)")) << page().DebugString();
  EXPECT_EQ(page().FindWidget("nick")->text, "");
}

TEST_F(ApiTest, ReadingAKeyAsTheWrongTypeShowsStateTypeErrorAndTheSessionGoesOn) {
  ASSERT_OK(tab_->Change("misread", WidgetInput::Checked(true)));
  std::vector<ShownException> shown = page().Exceptions();
  ASSERT_THAT(shown, SizeIs(1)) << page().DebugString();
  EXPECT_EQ(shown[0].type, "st::StateTypeError");
  EXPECT_THAT(shown[0].message, HasSubstr("\"n\""));
  EXPECT_THAT(shown[0].message, HasSubstr("long"));    // what "n" holds (std::int64_t)
  EXPECT_THAT(shown[0].message, HasSubstr("double"));  // what the app asked for
  EXPECT_THAT(page().Texts(), Not(Contains("end of app"))) << page().DebugString();

  ASSERT_OK(tab_->Change("misread", WidgetInput::Checked(false)));
  EXPECT_THAT(page().Exceptions(), IsEmpty()) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("end of app")) << page().DebugString();
  ASSERT_OK(tab_->Change("n", WidgetInput::Number(3)));
  EXPECT_THAT(page().Texts(), Contains("n returned 3")) << page().DebugString();
}

TEST_F(ApiTest, RerunStartsTheAppAgainUntilItSettles) {
  EXPECT_THAT(page().Texts(), Contains("count: 0")) << page().DebugString();
  std::optional<int> runs_before = NumberAfter("counter runs: ");
  ASSERT_TRUE(runs_before.has_value()) << page().DebugString();

  // One click: the clicked run and three st::rerun()s, and the first run the
  // page sees finish is the settled one.
  ASSERT_OK(tab_->Click("count to 3"));
  EXPECT_THAT(page().Texts(), Contains("count: 3")) << page().DebugString();
  EXPECT_EQ(NumberAfter("counter runs: "), *runs_before + 4) << page().DebugString();

  // The click is used up by the run it triggered, not repeated by st::rerun().
  ASSERT_OK(tab_->Click("bump"));
  EXPECT_THAT(page().Texts(), Contains("count: 3")) << page().DebugString();
  EXPECT_EQ(NumberAfter("counter runs: "), *runs_before + 5) << page().DebugString();

  ASSERT_OK(tab_->Click("count to 3"));
  EXPECT_THAT(page().Texts(), Contains("count: 3")) << page().DebugString();
  EXPECT_EQ(NumberAfter("counter runs: "), *runs_before + 9) << page().DebugString();
  EXPECT_THAT(page().Exceptions(), IsEmpty()) << page().DebugString();
}

TEST_F(ApiTest, StopKeepsElementsBeforeItAndDropsTheRest) {
  ASSERT_THAT(page().Texts(), Contains("after stop")) << page().DebugString();
  ASSERT_OK(tab_->Change("stop here", WidgetInput::Checked(true)));
  EXPECT_THAT(page().Texts(), Contains("before stop")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("bumps: 0")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Not(Contains("after stop"))) << page().DebugString();
  EXPECT_THAT(page().Texts(), Not(Contains("end of app"))) << page().DebugString();
  EXPECT_TRUE(page().FindWidget("stop here")->checked);
  EXPECT_THAT(page().Exceptions(), IsEmpty()) << page().DebugString();

  ASSERT_OK(tab_->Change("stop here", WidgetInput::Checked(false)));
  EXPECT_THAT(page().Texts(), Contains("after stop")) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("end of app")) << page().DebugString();
}

TEST_F(ApiTest, ExpanderChildrenLiveUnderTheExpander) {
  std::optional<ElementPath> expander = PathOfBlock(page(), ipc::Element::EXPANDER, "details");
  ASSERT_TRUE(expander.has_value()) << page().DebugString();
  EXPECT_EQ(page().PathOfText("inside expander"), Child(*expander, {0, 0})) << page().DebugString();
  EXPECT_EQ(page().PathOfText("second inside expander"), Child(*expander, {0, 1}))
      << page().DebugString();
}

TEST_F(ApiTest, ColumnChildrenLiveUnderTheirColumn) {
  std::optional<ElementPath> columns = PathOfBlock(page(), ipc::Element::COLUMNS);
  ASSERT_TRUE(columns.has_value()) << page().DebugString();
  EXPECT_EQ(page().PathOfText("in column 0"), Child(*columns, {0, 0})) << page().DebugString();
  EXPECT_EQ(page().PathOfText("in column 1"), Child(*columns, {1, 0})) << page().DebugString();
  EXPECT_EQ(page().PathOfText("column box off"), Child(*columns, {1, 2})) << page().DebugString();
  // The next element after the columns is their sibling again.
  ElementPath after = *columns;
  ++after.back();
  EXPECT_EQ(page().PathOfText("after columns"), after) << page().DebugString();

  ASSERT_OK(tab_->Change("column box", WidgetInput::Checked(true)));
  EXPECT_EQ(page().PathOfText("column box on"), Child(*columns, {1, 2})) << page().DebugString();
  EXPECT_THAT(page().Texts(), Not(Contains("column box off"))) << page().DebugString();
}

TEST_F(ApiTest, RadioSelectsOneOfItsOptions) {
  std::optional<WidgetInfo> pick = page().FindWidget("pick");
  ASSERT_TRUE(pick.has_value()) << page().DebugString();
  EXPECT_EQ(pick->kind, ipc::Widget::RADIO);
  EXPECT_THAT(pick->options, ElementsAre("alpha", "beta", "gamma"));
  EXPECT_EQ(pick->index, 1);
  EXPECT_THAT(page().Texts(), Contains("picked beta")) << page().DebugString();

  ASSERT_OK(tab_->Change("pick", WidgetInput::Index(2)));
  EXPECT_EQ(page().FindWidget("pick")->index, 2);
  EXPECT_THAT(page().Texts(), Contains("picked gamma")) << page().DebugString();
}

TEST_F(ApiTest, NumberInputTakesFractionalValuesWithinItsBounds) {
  std::optional<WidgetInfo> weight = page().FindWidget("weight");
  ASSERT_TRUE(weight.has_value()) << page().DebugString();
  EXPECT_EQ(weight->kind, ipc::Widget::NUMBER_INPUT);
  EXPECT_EQ(weight->number, 1.0);
  EXPECT_EQ(weight->min, 0.5);
  EXPECT_EQ(weight->max, 2.5);
  EXPECT_EQ(weight->step, 0.25);
  EXPECT_FALSE(weight->integer);
  EXPECT_THAT(page().Texts(), Contains("weight 1.000000")) << page().DebugString();

  ASSERT_OK(tab_->Change("weight", WidgetInput::Number(1.75)));
  EXPECT_EQ(page().FindWidget("weight")->number, 1.75);
  EXPECT_THAT(page().Texts(), Contains("weight 1.750000")) << page().DebugString();
  ASSERT_OK(tab_->Change("weight", WidgetInput::Number(2.5)));
  EXPECT_THAT(page().Texts(), Contains("weight 2.500000")) << page().DebugString();
}

TEST_F(ApiTest, NumberInputRejectsOutOfRangeValuesAndTheSessionGoesOn) {
  for (double outside : {2.75, 0.25}) {
    ASSERT_OK(tab_->Send("weight", WidgetInput::Number(outside)));
    ASSERT_OK_AND_ASSIGN(NoticeInfo notice, tab_->page().ReceiveUntilNotice(tab_->client()));
    EXPECT_EQ(NoticeKindName(notice.kind), "badInput") << notice.message;
    EXPECT_THAT(notice.message, HasSubstr("outside")) << notice.message;
  }
  EXPECT_THAT(page().Texts(), Contains("weight 1.000000")) << page().DebugString();

  ASSERT_OK(tab_->Change("weight", WidgetInput::Number(0.5)));
  EXPECT_EQ(page().FindWidget("weight")->number, 0.5);
  EXPECT_THAT(page().Texts(), Contains("weight 0.500000")) << page().DebugString();
}

TEST_F(ApiTest, DuplicateKeyInOneRunShowsAnExceptionNamingTheKey) {
  ASSERT_OK(tab_->Change("duplicate key", WidgetInput::Checked(true)));
  std::vector<ShownException> shown = page().Exceptions();
  ASSERT_THAT(shown, SizeIs(1)) << page().DebugString();
  EXPECT_THAT(shown[0].message, HasSubstr("'twin'"));
  EXPECT_THAT(page().Texts(), Not(Contains("end of app"))) << page().DebugString();

  ASSERT_OK(tab_->Change("duplicate key", WidgetInput::Checked(false)));
  EXPECT_THAT(page().Exceptions(), IsEmpty()) << page().DebugString();
  EXPECT_THAT(page().Texts(), Contains("end of app")) << page().DebugString();
  ASSERT_OK(tab_->Click("bump"));
  EXPECT_THAT(page().Texts(), Contains("bumps: 1")) << page().DebugString();
}

TEST_F(ApiTest, UnkeyedWidgetsWithOneLabelGetDistinctIdsAndSeparateValues) {
  std::vector<WidgetInfo> twins = page().FindWidgets("same");
  ASSERT_THAT(twins, SizeIs(2)) << page().DebugString();
  EXPECT_NE(twins[0].id, twins[1].id);
  EXPECT_THAT(page().Texts(), Contains("same: 0 and 0")) << page().DebugString();

  ASSERT_NO_FATAL_FAILURE(ChangeById(twins[0].id, WidgetInput::Number(3)));
  EXPECT_THAT(page().Texts(), Contains("same: 3 and 0")) << page().DebugString();
  ASSERT_NO_FATAL_FAILURE(ChangeById(twins[1].id, WidgetInput::Number(8)));
  EXPECT_THAT(page().Texts(), Contains("same: 3 and 8")) << page().DebugString();

  std::vector<WidgetInfo> shown = page().FindWidgets("same");
  ASSERT_THAT(shown, SizeIs(2)) << page().DebugString();
  EXPECT_EQ(shown[0].id, twins[0].id);
  EXPECT_EQ(shown[1].id, twins[1].id);
  EXPECT_EQ(shown[0].number, 3);
  EXPECT_EQ(shown[1].number, 8);
}

TEST_F(ApiTest, MarkupInTextArrivesVerbatim) {
  // The page escapes it; broker and worker must deliver it unchanged.
  EXPECT_THAT(page().Texts(), Contains("<script>alert('md')</script> **bold** & <b>tag</b>"))
      << page().DebugString();
  EXPECT_THAT(page().Texts(),
              Contains("<b>not bold</b> & \"quoted\" <script>alert('text')</script>"))
      << page().DebugString();
  EXPECT_THAT(page().protocol_errors(), IsEmpty());
}

TEST_F(ApiTest, TextWithAnEmbeddedNulArrivesWithEveryByte) {
  // st::text(std::string_view("nul:a\0b", 7)): seven bytes sent, seven shown.
  EXPECT_THAT(page().Texts(), Contains(std::string("nul:a\0b", 7))) << page().DebugString();
  EXPECT_THAT(page().Texts(), Not(Contains("nul:a"))) << page().DebugString();
}

}  // namespace
}  // namespace sluice::testing
