// The st:: error policy (include/sluice/st.hpp) as a viewer sees it: each
// kind of mistake in an st:: call shows the exception type the policy names
// for it, with a message that says what was wrong, and the session goes on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/broker/test_apps.h"
#include "tests/support/app_session.h"
#include "tests/support/broker_process.h"
#include "tests/support/status_macros.h"

namespace sluice::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// The options of the mistakes app's "mistake" radio, by index.
enum Mistake { kNone, kBadArgument, kPastTheEnd, kWrongPlace, kWrongType, kMissingSecret };

class ErrorPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(broker_, BrokerProcess::Start(kMistakesApp));
    ASSERT_OK_AND_ASSIGN(tab_, AppSession::Open(broker_->port()));
  }

  // Makes `mistake` and returns what the page shows for it; then undoes it
  // and checks that the session runs the app to its end again.
  ShownException Make(Mistake mistake) {
    ShownException none{"(none shown)", ""};
    EXPECT_OK(tab_->Change("mistake", WidgetInput::Index(mistake)));
    std::vector<ShownException> shown = tab_->page().Exceptions();
    EXPECT_THAT(shown, SizeIs(1)) << tab_->page().DebugString();
    EXPECT_THAT(tab_->page().Texts(), Not(Contains("end of app")));
    EXPECT_OK(tab_->Change("mistake", WidgetInput::Index(kNone)));
    EXPECT_THAT(tab_->page().Exceptions(), IsEmpty()) << tab_->page().DebugString();
    EXPECT_THAT(tab_->page().Texts(), Contains("end of app")) << tab_->page().DebugString();
    return shown.empty() ? none : shown[0];
  }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<AppSession> tab_;
};

TEST_F(ErrorPolicyTest, AnArgumentValueTheCallCannotTakeIsInvalidArgument) {
  ShownException shown = Make(kBadArgument);
  EXPECT_EQ(shown.type, "std::invalid_argument");
  EXPECT_THAT(shown.message, HasSubstr("st::columns(13)"));
}

TEST_F(ErrorPolicyTest, AnIndexPastTheEndIsOutOfRange) {
  ShownException shown = Make(kPastTheEnd);
  EXPECT_EQ(shown.type, "std::out_of_range");
  EXPECT_THAT(shown.message, HasSubstr("column 2 of 2"));
}

TEST_F(ErrorPolicyTest, AKeyTheSecretsDoNotHaveIsOutOfRange) {
  ShownException shown = Make(kMissingSecret);
  EXPECT_EQ(shown.type, "std::out_of_range");
  EXPECT_THAT(shown.message, HasSubstr("'no such key'"));
}

TEST_F(ErrorPolicyTest, AWidgetInsideACachedFunctionIsLogicError) {
  ShownException shown = Make(kWrongPlace);
  EXPECT_EQ(shown.type, "std::logic_error");
  EXPECT_THAT(shown.message, HasSubstr("inside a cached function"));
}

TEST_F(ErrorPolicyTest, ReadingStateAsAnotherTypeIsStateTypeError) {
  ShownException shown = Make(kWrongType);
  EXPECT_EQ(shown.type, "st::StateTypeError");
  EXPECT_THAT(shown.message, HasSubstr("\"count\""));
}

}  // namespace
}  // namespace sluice::testing
