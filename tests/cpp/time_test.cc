#include "strata/core/time.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(TimeTest, ParsesIsoAndIntegerForms) {
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTimestamp("2026-05-01T12:00:00.123456Z"), 1777636800123456);
  EXPECT_EQ(*ParseTimestamp("2026-05-01 12:00:00.123456"), 1777636800123456);
  EXPECT_EQ(*ParseTimestamp("2026-05-01T14:00:00.123456+02:00"), 1777636800123456);
  EXPECT_EQ(*ParseTimestamp("2026-05-01T12:00:00.1Z"), 1777636800100000);
  EXPECT_EQ(*ParseTimestamp("2026-05-01"), 1777593600000000);
  EXPECT_EQ(*ParseTimestamp("1777636800123456"), 1777636800123456);
  EXPECT_EQ(*ParseTimestamp("-1"), -1);
  EXPECT_EQ(*ParseTimestamp("1969-12-31T23:59:59.999999Z"), -1);
  EXPECT_EQ(*ParseTimestamp("2024-02-29T00:00:00Z"), 1709164800000000);  // leap day
  EXPECT_EQ(*ParseTimestamp("2026-05-01T12:00:00-0130"), 1777636800000000 + 5400000000);
}

TEST(TimeTest, RejectsMalformedTimes) {
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-05-01T25:00:00Z", "2026-05-01T12:00:00Q", "12.5",
                          "2026-05-01T12:00:00.Z", "2026-02-30", "2026-04-31T00:00:00Z", "2025-02-29",
                          "2026-05-01T12:00:00+99:99", "2026-05-01T12:00:00+05:", "2026-05-01T12:00:60Z"}) {
    auto r = ParseTimestamp(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("ISO-8601"), std::string::npos);
    }
  }
}

TEST(TimeTest, FormatRoundTrips) {
  for (int64_t t : {int64_t{0}, int64_t{1777636800123456}, int64_t{-1}, int64_t{1777636800000000}, int64_t{-86400000001}}) {
    EXPECT_EQ(*ParseTimestamp(FormatTimestamp(t)), t) << FormatTimestamp(t);
  }
  EXPECT_EQ(FormatTimestamp(1777636800123456), "2026-05-01T12:00:00.123456Z");
  EXPECT_EQ(FormatTimestamp(1777636800000000), "2026-05-01T12:00:00Z");
}

TEST(TimeTest, Durations) {
  EXPECT_EQ(*ParseDuration("30d"), 30 * kMicrosPerDay);
  EXPECT_EQ(*ParseDuration("12h"), 12 * 3600 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDuration("15m"), 15 * 60 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDuration("45s"), 45 * kMicrosPerSecond);
  EXPECT_EQ(*ParseDuration("250ms"), 250000);
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_FALSE(ParseDuration("30").ok());
  EXPECT_FALSE(ParseDuration("d").ok());
  EXPECT_FALSE(ParseDuration("3y").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999d").ok());
  EXPECT_EQ(FormatDuration(7 * kMicrosPerDay), "7d");
  EXPECT_EQ(FormatDuration(90 * 60 * kMicrosPerSecond), "90m");
}

}  // namespace
}  // namespace strata
