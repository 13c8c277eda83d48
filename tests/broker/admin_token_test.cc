// The admin bearer token compare (broker/admin.h) on its own: the right
// token passes; a wrong one of the same or another length, a prefix, an
// extension, and a missing or malformed header fail.
#include <gtest/gtest.h>

#include <string>

#include "broker/admin.h"

namespace sluice::broker {
namespace {

constexpr std::string_view kToken = "correct-horse-battery-staple";

bool Presented(std::string_view authorization) { return BearerTokenMatches(authorization, kToken); }

TEST(AdminTokenTest, RightTokenPasses) {
  EXPECT_TRUE(Presented("Bearer correct-horse-battery-staple"));
  EXPECT_TRUE(Presented("bearer correct-horse-battery-staple"));  // the scheme in any case
  EXPECT_TRUE(Presented("Bearer  correct-horse-battery-staple \t"));
}

TEST(AdminTokenTest, WrongTokenOfTheSameLengthFails) {
  std::string token(kToken);
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string wrong = token;
    wrong[i] ^= 1;
    EXPECT_FALSE(Presented("Bearer " + wrong)) << wrong;
  }
}

TEST(AdminTokenTest, PrefixesAndExtensionsFail) {
  std::string token(kToken);
  for (std::size_t length = 0; length < token.size(); ++length) {
    EXPECT_FALSE(Presented("Bearer " + token.substr(0, length))) << length;
  }
  EXPECT_FALSE(Presented("Bearer " + token + "x"));
  EXPECT_FALSE(Presented("Bearer " + token + token));
  EXPECT_FALSE(Presented("Bearer " + std::string(4096, 'a')));
}

TEST(AdminTokenTest, MissingOrMalformedHeaderFails) {
  EXPECT_FALSE(Presented(""));
  EXPECT_FALSE(Presented("Bearer"));
  EXPECT_FALSE(Presented("Bearer "));
  EXPECT_FALSE(Presented("Basic correct-horse-battery-staple"));
  EXPECT_FALSE(Presented("correct-horse-battery-staple"));
  EXPECT_FALSE(Presented("Bearercorrect-horse-battery-staple"));
}

TEST(AdminTokenTest, EmptyTokenNeverMatches) {
  EXPECT_FALSE(BearerTokenMatches("Bearer ", ""));
  EXPECT_FALSE(BearerTokenMatches("Bearer x", ""));
}

}  // namespace
}  // namespace sluice::broker
