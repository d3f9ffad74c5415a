// JSON text of Arrow cells: what `strata get` prints and the feature log stores.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "strata/core/arrow_json.h"

namespace strata {
namespace {

std::string Cell(const arrow::Array& a, int64_t i, int64_t max_list = -1) {
  std::string out = "x";  // appended to, never replaced
  AppendJsonCell(a, i, &out, max_list);
  return out.substr(1);
}

TEST(ArrowJsonTest, StringsAreQuotedEscapedAndInvalidUtf8IsReplaced) {
  EXPECT_EQ(JsonString("plain text 123"), "\"plain text 123\"");
  EXPECT_EQ(JsonString(""), "\"\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("tab\there\nline"), "\"tab\\there\\nline\"");
  EXPECT_EQ(JsonString(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
  EXPECT_EQ(JsonString("K\xc3\xb6ln"), "\"K\xc3\xb6ln\"");          // UTF-8 kept as it is
  EXPECT_EQ(JsonString("bad\xff"), "\"bad\xef\xbf\xbd\"");           // U+FFFD
  std::string out = "[";
  AppendJsonString("a", &out);
  AppendJsonString("\"", &out);
  EXPECT_EQ(out, "[\"a\"\"\\\"\"");
}

TEST(ArrowJsonTest, NumbersNullsAndListsRoundTripAsText) {
  arrow::Int64Builder i64;
  ASSERT_TRUE(i64.AppendValues({0, -1, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}).ok());
  ASSERT_TRUE(i64.AppendNull().ok());
  auto ints = i64.Finish().ValueOrDie();
  EXPECT_EQ(Cell(*ints, 0), "0");
  EXPECT_EQ(Cell(*ints, 1), "-1");
  EXPECT_EQ(Cell(*ints, 2), "-9223372036854775808");
  EXPECT_EQ(Cell(*ints, 3), "9223372036854775807");
  EXPECT_EQ(Cell(*ints, 4), "null");

  arrow::FloatBuilder f32;
  ASSERT_TRUE(f32.AppendValues({0.1f, -2.5f, 1e-7f, std::numeric_limits<float>::quiet_NaN(),
                                std::numeric_limits<float>::infinity()}).ok());
  auto floats = f32.Finish().ValueOrDie();
  EXPECT_EQ(Cell(*floats, 0), "0.1");  // the shortest text that reads back as the float
  EXPECT_EQ(Cell(*floats, 1), "-2.5");
  EXPECT_EQ(std::stof(Cell(*floats, 2)), 1e-7f);
  EXPECT_EQ(Cell(*floats, 3), "null");
  EXPECT_EQ(Cell(*floats, 4), "null");
  arrow::DoubleBuilder f64;
  ASSERT_TRUE(f64.Append(-std::numeric_limits<double>::max()).ok());
  auto doubles = f64.Finish().ValueOrDie();
  EXPECT_EQ(std::stod(Cell(*doubles, 0)), -std::numeric_limits<double>::max());

  auto values = std::make_shared<arrow::Int32Builder>();
  arrow::ListBuilder lists(arrow::default_memory_pool(), values);
  ASSERT_TRUE(lists.Append().ok() && values->AppendValues({3, 2, 1}).ok());
  ASSERT_TRUE(lists.Append().ok());  // empty
  auto list = lists.Finish().ValueOrDie();
  EXPECT_EQ(Cell(*list, 0), "[3, 2, 1]");
  EXPECT_EQ(Cell(*list, 0, 2), "[3, 2]");
  EXPECT_EQ(Cell(*list, 1), "[]");
}

}  // namespace
}  // namespace strata
