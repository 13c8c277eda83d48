// The error policy's "wrong place" (sluice/st.hpp) where no page can show
// it: an st:: call outside the app function throws std::logic_error to its
// caller.
#include <gtest/gtest.h>

#include <sluice/st.hpp>
#include <stdexcept>

namespace {

TEST(StOutsideARunTest, AnStCallOutsideTheAppFunctionIsLogicError) {
  EXPECT_THROW(st::text("nowhere to show this"), std::logic_error);
  EXPECT_THROW(st::session_state(), std::logic_error);
  EXPECT_THROW(st::checkbox("nowhere"), std::logic_error);
}

}  // namespace
