#include "data/timestamp.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace sluice::data {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t k2024_01_31 = 1706659200 * kSecond;  // midnight UTC

TEST(TimestampTest, ReadsEachDocumentedForm) {
  EXPECT_EQ(ParseTimestamp("1970-01-01"), 0);
  EXPECT_EQ(ParseTimestamp("2024-01-31"), k2024_01_31);
  EXPECT_EQ(ParseTimestamp("2024-01-31T12:34:56"),
            k2024_01_31 + (12 * 3600 + 34 * 60 + 56) * kSecond);
  EXPECT_EQ(ParseTimestamp("2024-01-31 12:34:56"),
            k2024_01_31 + (12 * 3600 + 34 * 60 + 56) * kSecond);
  EXPECT_EQ(ParseTimestamp("2024-01-31T00:00:00Z"), k2024_01_31);
  EXPECT_EQ(ParseTimestamp("2024-01-31T00:00:00.5"), k2024_01_31 + kSecond / 2);
  EXPECT_EQ(ParseTimestamp("2024-01-31T00:00:00.000000001Z"), k2024_01_31 + 1);
  EXPECT_EQ(ParseTimestamp("2024-01-31T02:30:00+02:30"), k2024_01_31);
  EXPECT_EQ(ParseTimestamp("2024-01-30T22:00:00-02:00"), k2024_01_31);
  EXPECT_EQ(ParseTimestamp("1969-12-31T23:59:59.999999999Z"), -1);
  EXPECT_EQ(ParseTimestamp("2024-02-29"), k2024_01_31 + 29 * 86400 * kSecond);
}

TEST(TimestampTest, RefusesWhatIsNotExactlyAForm) {
  for (const char* text : {"",
                           "2024",
                           "2024-1-31",
                           "2024-01-32",
                           "2023-02-29",
                           "2024-13-01",
                           "2024/01/31",
                           "2024-01-31T",
                           "2024-01-31T12:34",
                           "2024-01-31T24:00:00",
                           "2024-01-31T12:60:00",
                           "2024-01-31T12:00:60",
                           "2024-01-31T12:00:00.",
                           "2024-01-31T12:00:00.1234567890",
                           "2024-01-31T12:00:00z",
                           "2024-01-31t12:00:00",
                           "2024-01-31T12:00:00+0100",
                           "2024-01-31T12:00:00+24:00",
                           "2024-01-31T12:00:00Z ",
                           " 2024-01-31",
                           "2024-01-31x",
                           "1600-01-01",
                           "2300-01-01",
                           "9999-12-31T23:59:59Z"}) {
    EXPECT_FALSE(ParseTimestamp(text).has_value()) << text;
  }
}

TEST(TimestampTest, WritesUtcWithAFractionOnlyWhenThereIsOne) {
  auto text = [](std::int64_t ns) {
    std::string out;
    AppendTimestamp(ns, out);
    return out;
  };
  EXPECT_EQ(text(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(text(k2024_01_31 + kSecond / 2), "2024-01-31T00:00:00.5Z");
  EXPECT_EQ(text(k2024_01_31 + 1), "2024-01-31T00:00:00.000000001Z");
  EXPECT_EQ(text(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(TimestampTest, WrittenTextReadsBackExactly) {
  for (std::int64_t ns : {std::int64_t{0}, std::int64_t{-1}, k2024_01_31 + 123456789, INT64_MAX,
                          INT64_MIN, -86400 * kSecond - 7}) {
    std::string out;
    AppendTimestamp(ns, out);
    EXPECT_EQ(ParseTimestamp(out), ns) << out;
  }
}

}  // namespace
}  // namespace sluice::data
