// st::metric and st::json (include/sluice/display.hpp) through AppRunner and
// a fake channel: what the page is sent for each, and what a viewer reads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "ipc/text.h"
#include "runtime/app_runner.h"
#include "sluice/st.hpp"
#include "tests/runtime/fake_channel.h"
#include "tests/support/page_model.h"

namespace sluice::runtime {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using testing::FakeChannel;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::PageModel;
using testing::ShownElement;
using ::testing::SizeIs;

struct ShownMetric {
  std::string label, value, delta;
  ipc::Metric::DeltaColor color;
};

struct ShownJson {
  std::string text;
  bool expanded;
};

class DisplayTest : public ::testing::Test {
 protected:
  // Runs `app` once, as a session's start does.
  void Start(st::AppFunction app) {
    runner_ = std::make_unique<AppRunner>(channel_, app);
    channel_.Queue(StartCommand{.session_id = "test-session", .max_upload_bytes = 1 << 20});
    runner_->ServeOne();
    channel_.ApplyNewTo(page_);
    ASSERT_EQ(page_.finished_runs(), 1) << page_.DebugString();
    ASSERT_THAT(page_.protocol_errors(), IsEmpty());
  }

  std::vector<ShownMetric> Metrics() const {
    std::vector<ShownMetric> metrics;
    page_.ForEachElement([&](const testing::ElementPath&, ipc::Element::Reader e) {
      if (e.which() != ipc::Element::METRIC) return;
      ipc::Metric::Reader m = e.getMetric();
      metrics.push_back({std::string(ipc::ViewOf(m.getLabel())),
                         std::string(ipc::ViewOf(m.getValue())),
                         std::string(ipc::ViewOf(m.getDelta())), m.getDeltaColor()});
    });
    return metrics;
  }

  std::vector<ShownJson> Jsons() const {
    std::vector<ShownJson> jsons;
    page_.ForEachElement([&](const testing::ElementPath&, ipc::Element::Reader e) {
      if (e.which() != ipc::Element::JSON) return;
      jsons.push_back({std::string(ipc::ViewOf(e.getJson().getText())), e.getJson().getExpanded()});
    });
    return jsons;
  }

  // The error alerts' texts, in page order.
  std::vector<std::string> Errors() const {
    std::vector<std::string> errors;
    page_.ForEachElement([&](const testing::ElementPath&, ipc::Element::Reader e) {
      if (e.which() == ipc::Element::ALERT &&
          e.getAlert().getKind() == ipc::Element::Alert::Kind::ERROR) {
        errors.emplace_back(ipc::ViewOf(e.getAlert().getBody()));
      }
    });
    return errors;
  }

  FakeChannel channel_;
  std::unique_ptr<AppRunner> runner_;
  PageModel page_;
};

TEST_F(DisplayTest, MetricShowsLabelValueAndDeltaAndReadsItsDirection) {
  Start([] {
    st::metric("Revenue", "€ 1.2 M", {.delta = "+3 %"});
    st::metric("Latency", "120 ms", {.delta = "-8 ms", .delta_color = st::DeltaColor::kInverse});
    st::metric("Sessions", "41");
  });
  std::vector<ShownElement> shown = page_.FindElements("metric");
  ASSERT_THAT(shown, SizeIs(3)) << page_.DebugString();
  EXPECT_EQ(shown[0].text, "Revenue € 1.2 M up 3 %");
  EXPECT_EQ(shown[1].text, "Latency 120 ms down 8 ms");
  EXPECT_EQ(shown[2].text, "Sessions 41");

  std::vector<ShownMetric> metrics = Metrics();
  ASSERT_THAT(metrics, SizeIs(3));
  EXPECT_EQ(metrics[0].delta, "+3 %");
  EXPECT_EQ(metrics[0].color, ipc::Metric::DeltaColor::NORMAL);
  EXPECT_EQ(metrics[1].delta, "-8 ms");
  EXPECT_EQ(metrics[1].color, ipc::Metric::DeltaColor::INVERSE);
  EXPECT_EQ(metrics[2].delta, "");
}

TEST_F(DisplayTest, MetricFormatsNumbersSoTheSignSaysTheDirection) {
  Start([] {
    st::metric("Rows kept", 1234, {.delta = -12});
    st::metric("Share", 0.1 + 0.2, {.delta = 0.25, .delta_color = st::DeltaColor::kOff});
    st::metric("Unchanged", std::numeric_limits<std::uint64_t>::max(), {.delta = -0.0});
    st::metric("Ratio", 2.5f, {.delta = std::string("n/a")});
  });
  std::vector<ShownMetric> metrics = Metrics();
  ASSERT_THAT(metrics, SizeIs(4)) << page_.DebugString();
  EXPECT_EQ(metrics[0].value, "1234");
  EXPECT_EQ(metrics[0].delta, "-12");
  EXPECT_EQ(metrics[1].value, "0.30000000000000004");  // every digit the double has
  EXPECT_EQ(metrics[1].delta, "0.25");
  EXPECT_EQ(metrics[1].color, ipc::Metric::DeltaColor::OFF);
  EXPECT_EQ(metrics[2].value, "18446744073709551615");
  EXPECT_EQ(metrics[2].delta, "0");  // not "-0", which would read as a fall
  EXPECT_EQ(metrics[3].value, "2.5");
  EXPECT_EQ(metrics[3].delta, "n/a");
  EXPECT_EQ(page_.FindElements("metric")[0].text, "Rows kept 1234 down 12");
}

TEST_F(DisplayTest, ValidJsonIsSentAsWrittenWithItsExpandedFlag) {
  static const std::string kDocument =
      "{\"id\": 12345678901234567890, \"name\": \"Zoë\", \"tags\": [true, null, 1.5e3]}";
  Start([] {
    st::json(kDocument);
    st::json("[]", {.expanded = false});
  });
  std::vector<ShownJson> jsons = Jsons();
  ASSERT_THAT(jsons, SizeIs(2)) << page_.DebugString();
  EXPECT_EQ(jsons[0].text, kDocument);  // the big number as written, not as a double
  EXPECT_TRUE(jsons[0].expanded);
  EXPECT_EQ(jsons[1].text, "[]");
  EXPECT_FALSE(jsons[1].expanded);
  EXPECT_THAT(Errors(), IsEmpty());
}

TEST_F(DisplayTest, InvalidJsonShowsAnErrorNamingLineAndColumnAndTheAppGoesOn) {
  Start([] {
    st::json("{\n  \"a\": 1,\n  \"b\": }");
    st::text("after the json");
  });
  EXPECT_THAT(Jsons(), IsEmpty()) << page_.DebugString();
  ASSERT_THAT(Errors(), SizeIs(1)) << page_.DebugString();
  EXPECT_THAT(Errors()[0], AllOf(HasSubstr("Invalid JSON at line 3, column 8 (byte offset 19)"),
                                 HasSubstr("unexpected '}'"), Not(HasSubstr("json.exception"))));
  EXPECT_TRUE(page_.HasText("after the json"));
}

TEST_F(DisplayTest, JsonThatEndsTooSoonNamesTheEnd) {
  Start([] { st::json("[1, 2"); });
  ASSERT_THAT(Errors(), SizeIs(1)) << page_.DebugString();
  EXPECT_THAT(Errors()[0], AllOf(HasSubstr("line 1, column 6 (byte offset 5)"),
                                 HasSubstr("unexpected end of input")));
}

TEST_F(DisplayTest, JsonColumnsCountCharactersNotBytes) {
  // "é" is two bytes: the bad token 'x' is the 9th character, 10th byte.
  Start([] { st::json("[\"héllo\" x]"); });
  ASSERT_THAT(Errors(), SizeIs(1)) << page_.DebugString();
  EXPECT_THAT(Errors()[0], HasSubstr("line 1, column 10 (byte offset 10)"));
}

TEST_F(DisplayTest, JsonWithTrailingBytesIllFormedUtf8ANulOrNothingIsInvalid) {
  Start([] {
    st::json("{} x");
    st::json("[\"\xff\"]");
    st::json("");
    st::json(std::string_view("[1]\0", 4));
    st::json(std::string_view("[\"a\0b\"]", 7));
  });
  EXPECT_THAT(Jsons(), IsEmpty()) << page_.DebugString();
  std::vector<std::string> errors = Errors();
  ASSERT_THAT(errors, SizeIs(5)) << page_.DebugString();
  EXPECT_THAT(errors[0], HasSubstr("line 1, column 4 (byte offset 3)"));
  EXPECT_THAT(errors[1], HasSubstr("UTF-8"));
  EXPECT_THAT(errors[2], HasSubstr("line 1, column 1 (byte offset 0)"));
  // nlohmann alone would stop at a NUL as at the end and accept "[1]".
  EXPECT_THAT(errors[3], AllOf(HasSubstr("column 4 (byte offset 3)"), HasSubstr("NUL")));
  EXPECT_THAT(errors[4], AllOf(HasSubstr("column 4 (byte offset 3)"), HasSubstr("NUL")));
}

TEST_F(DisplayTest, DeeplyNestedJsonIsCheckedWithoutRecursion) {
  // A million levels: a recursive checker would overflow the stack.
  Start([] {
    constexpr std::size_t kDepth = 1'000'000;
    st::json(std::string(kDepth, '[') + std::string(kDepth, ']'));
    st::json(std::string(kDepth, '['));
  });
  ASSERT_THAT(Jsons(), SizeIs(1)) << page_.DebugString();
  EXPECT_EQ(Jsons()[0].text.size(), 2'000'000u);
  ASSERT_THAT(Errors(), SizeIs(1));
  EXPECT_THAT(Errors()[0], HasSubstr("unexpected end of input"));
}

TEST_F(DisplayTest, AHugeBadTokenGivesAShortMessage) {
  Start([] { st::json("[\"" + std::string(1 << 20, 'a')); });
  ASSERT_THAT(Errors(), SizeIs(1)) << page_.DebugString();
  EXPECT_THAT(Errors()[0], HasSubstr("Invalid JSON at line 1"));
  EXPECT_LT(Errors()[0].size(), 400u);
}

// Anything with a dump() that returns JSON text (nlohmann::json has one).
struct Document {
  std::string dump() const { return R"({"from":"dump"})"; }
};

TEST_F(DisplayTest, AValueWithDumpIsShownAsItsJsonText) {
  Start([] { st::json(Document{}, {.expanded = false}); });
  ASSERT_THAT(Jsons(), SizeIs(1)) << page_.DebugString();
  EXPECT_EQ(Jsons()[0].text, R"({"from":"dump"})");
  EXPECT_FALSE(Jsons()[0].expanded);
  EXPECT_THAT(page_.FindElements("json"),
              ElementsAre(::testing::Field(&ShownElement::text, R"({"from":"dump"})")));
}

}  // namespace
}  // namespace sluice::runtime
