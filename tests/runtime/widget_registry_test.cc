// WidgetRegistry on its own: how widgets are named across reruns, which
// changes from the page it refuses, and what a finished run drops.
#include "runtime/widget_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace sluice::runtime {
namespace {

using ::testing::HasSubstr;

WidgetSpec Spec(WidgetKind kind, std::string key = "") {
  return WidgetSpec{.kind = kind, .key = std::move(key)};
}

WidgetSpec Slider(double min_value, double max_value, bool integer = false) {
  return WidgetSpec{.kind = WidgetKind::kSlider,
                    .min_value = min_value,
                    .max_value = max_value,
                    .integer = integer};
}

WidgetSpec Select(std::vector<std::string> options) {
  return WidgetSpec{.kind = WidgetKind::kSelectbox, .options = std::move(options)};
}

WidgetSpec Text(std::size_t max_chars) {
  return WidgetSpec{.kind = WidgetKind::kTextInput, .max_chars = max_chars};
}

class WidgetRegistryTest : public ::testing::Test {
 protected:
  // Registers `spec` as the only widget of a finished run; returns its id.
  std::string OnlyWidgetOfARun(WidgetSpec spec) {
    registry_.BeginRun();
    std::string id = registry_.Register("w", std::move(spec));
    registry_.FinishRun();
    return id;
  }

  absl::StatusCode Refusal(const std::string& id, const WidgetInput& value) {
    return registry_.Validate(id, value).status().code();
  }

  WidgetRegistry registry_;
};

TEST_F(WidgetRegistryTest, UnkeyedWidgetKeepsItsIdAcrossReruns) {
  registry_.BeginRun();
  std::string first = registry_.Register("Name", Spec(WidgetKind::kTextInput));
  std::string second = registry_.Register("Name", Spec(WidgetKind::kTextInput));
  registry_.FinishRun();
  registry_.BeginRun();
  EXPECT_EQ(registry_.Register("Name", Spec(WidgetKind::kTextInput)), first);
  EXPECT_EQ(registry_.Register("Name", Spec(WidgetKind::kTextInput)), second);
}

TEST_F(WidgetRegistryTest, SameLabelDiffersByKindAndByOrdinal) {
  registry_.BeginRun();
  std::string text = registry_.Register("Name", Spec(WidgetKind::kTextInput));
  std::string second_text = registry_.Register("Name", Spec(WidgetKind::kTextInput));
  std::string checkbox = registry_.Register("Name", Spec(WidgetKind::kCheckbox));
  std::string other_label = registry_.Register("Other", Spec(WidgetKind::kTextInput));
  EXPECT_NE(text, second_text);
  EXPECT_NE(text, checkbox);
  EXPECT_NE(text, other_label);
  EXPECT_NE(second_text, other_label);
}

TEST_F(WidgetRegistryTest, KeyedWidgetIsItsKeyWhateverItsLabel) {
  registry_.BeginRun();
  std::string first = registry_.Register("Old label", Spec(WidgetKind::kCheckbox, "agree"));
  registry_.FinishRun();
  registry_.BeginRun();
  // An unkeyed widget with the same label before it does not shift it.
  registry_.Register("New label", Spec(WidgetKind::kCheckbox));
  EXPECT_EQ(registry_.Register("New label", Spec(WidgetKind::kCheckbox, "agree")), first);
}

TEST_F(WidgetRegistryTest, KeyUsedTwiceInOneRunThrows) {
  registry_.BeginRun();
  registry_.Register("a", Spec(WidgetKind::kCheckbox, "k"));
  try {
    registry_.Register("b", Spec(WidgetKind::kSlider, "k"));
    FAIL() << "a key used twice was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'k'"));
  }
}

TEST_F(WidgetRegistryTest, KeyMayReturnInTheNextRun) {
  registry_.BeginRun();
  std::string id = registry_.Register("a", Spec(WidgetKind::kCheckbox, "k"));
  registry_.FinishRun();
  registry_.BeginRun();
  EXPECT_EQ(registry_.Register("a", Spec(WidgetKind::kCheckbox, "k")), id);
}

TEST_F(WidgetRegistryTest, ChangeToUnknownWidgetIsRefused) {
  OnlyWidgetOfARun(Spec(WidgetKind::kCheckbox));
  EXPECT_EQ(Refusal("no-such-widget", true), absl::StatusCode::kNotFound);
}

TEST_F(WidgetRegistryTest, ValueOfTheWrongKindIsRefused) {
  std::string checkbox = OnlyWidgetOfARun(Spec(WidgetKind::kCheckbox));
  EXPECT_EQ(Refusal(checkbox, 1.0), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Refusal(checkbox, std::string("yes")), absl::StatusCode::kInvalidArgument);
  std::string button = OnlyWidgetOfARun(Spec(WidgetKind::kButton));
  EXPECT_EQ(Refusal(button, true), absl::StatusCode::kInvalidArgument);
  std::string uploader = OnlyWidgetOfARun(Spec(WidgetKind::kFileUploader));
  EXPECT_EQ(Refusal(uploader, Clicked{}), absl::StatusCode::kInvalidArgument);
}

TEST_F(WidgetRegistryTest, NumberOutsideTheRangeIsRefused) {
  std::string slider = OnlyWidgetOfARun(Slider(0, 10));
  EXPECT_TRUE(registry_.Validate(slider, 10.0).ok());
  EXPECT_EQ(Refusal(slider, 10.5), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Refusal(slider, -1.0), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Refusal(slider, std::nan("")), absl::StatusCode::kOutOfRange);
}

TEST_F(WidgetRegistryTest, FractionForAnIntegerWidgetIsRefused) {
  std::string slider = OnlyWidgetOfARun(Slider(0, 10, /*integer=*/true));
  EXPECT_TRUE(registry_.Validate(slider, 3.0).ok());
  EXPECT_EQ(Refusal(slider, 2.5), absl::StatusCode::kInvalidArgument);
}

TEST_F(WidgetRegistryTest, OptionIndexOutsideTheOptionsIsRefused) {
  std::string select = OnlyWidgetOfARun(Select({"a", "b"}));
  EXPECT_TRUE(registry_.Validate(select, OptionIndex{1}).ok());
  EXPECT_EQ(Refusal(select, OptionIndex{2}), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Refusal(select, OptionIndex{-1}), absl::StatusCode::kOutOfRange);
}

TEST_F(WidgetRegistryTest, TextLongerThanMaxCharsIsRefused) {
  std::string input = OnlyWidgetOfARun(Text(3));
  EXPECT_TRUE(registry_.Validate(input, std::string("abc")).ok());
  EXPECT_EQ(Refusal(input, std::string("abcd")), absl::StatusCode::kOutOfRange);
}

TEST_F(WidgetRegistryTest, MaxCharsCountsCharactersNotBytes) {
  std::string input = OnlyWidgetOfARun(Text(3));
  EXPECT_TRUE(registry_.Validate(input, std::string("\xC3\xA9\xC3\xA9\xC3\xA9")).ok());  // ééé
}

TEST_F(WidgetRegistryTest, ChangesAreCheckedAgainstTheLastFinishedRunDuringARun) {
  std::string slider = OnlyWidgetOfARun(Slider(0, 10));
  registry_.BeginRun();  // a run that has not reached the slider yet
  EXPECT_TRUE(registry_.Validate(slider, 5.0).ok());
}

TEST_F(WidgetRegistryTest, FinishRunDropsValuesOfWidgetsNotShown) {
  registry_.BeginRun();
  std::string kept = registry_.Register("kept", Slider(0, 10));
  std::string gone = registry_.Register("gone", Slider(0, 10));
  registry_.SetValue(kept, 4.0);
  registry_.SetValue(gone, 6.0);
  registry_.FinishRun();
  ASSERT_NE(registry_.Value(gone), nullptr);

  registry_.BeginRun();
  registry_.Register("kept", Slider(0, 10));
  registry_.FinishRun();
  ASSERT_NE(registry_.Value(kept), nullptr);
  EXPECT_EQ(std::get<double>(*registry_.Value(kept)), 4.0);
  EXPECT_EQ(registry_.Value(gone), nullptr);
  EXPECT_TRUE(registry_.ShownInLastRun(kept));
  EXPECT_FALSE(registry_.ShownInLastRun(gone));
}

TEST_F(WidgetRegistryTest, ClickLastsUntilTheRunFinishes) {
  std::string button = OnlyWidgetOfARun(Spec(WidgetKind::kButton));
  registry_.MarkClicked(button);
  registry_.BeginRun();
  registry_.Register("w", Spec(WidgetKind::kButton));
  EXPECT_TRUE(registry_.WasClicked(button));
  registry_.FinishRun();
  EXPECT_FALSE(registry_.WasClicked(button));
}

TEST_F(WidgetRegistryTest, InterruptedRunUsesUpOnlyClicksOfButtonsItShowed) {
  registry_.BeginRun();
  std::string shown = registry_.Register("shown", Spec(WidgetKind::kButton));
  std::string later = registry_.Register("later", Spec(WidgetKind::kButton));
  registry_.FinishRun();
  registry_.MarkClicked(shown);
  registry_.MarkClicked(later);

  registry_.BeginRun();
  registry_.Register("shown", Spec(WidgetKind::kButton));
  registry_.UseUpShownClicks();  // the run ends before it reaches "later"
  EXPECT_FALSE(registry_.WasClicked(shown));
  EXPECT_TRUE(registry_.WasClicked(later));
}

}  // namespace
}  // namespace sluice::runtime
