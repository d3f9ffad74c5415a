#include "strata/core/row_codec.h"

#include <gtest/gtest.h>

#include "strata/core/key_codec.h"

namespace strata {
namespace {

FeatureDef F(const char* name, const char* type, uint32_t id, Quantization q = Quantization::kNone) {
  FeatureDef f{name, *DataType::Parse(type), id};
  f.type.quantization = q;
  return f;
}

TEST(RowCodecTest, RoundTripsEveryTypeAndNulls) {
  std::vector<FeatureDef> fs = {F("b", "bool", 1),          F("i", "int32", 2),         F("l", "int64", 3),
                                F("f", "float32", 4),       F("d", "float64", 5),       F("s", "string", 6),
                                F("y", "bytes", 7),         F("t", "timestamp", 8),     F("li", "list<int64>", 9),
                                F("lf", "list<float32>", 10), F("ls", "list<string>", 11), F("v", "vector<float32,3>", 12),
                                F("n", "int64", 13)};
  std::vector<Value> vs = {true,
                           int64_t{-7},
                           int64_t{1} << 40,
                           1.5,
                           2.25,
                           std::string("héllo"),
                           std::string("\0\1\2", 3),
                           int64_t{1777636800123456},
                           std::vector<int64_t>{1, -2, 3},
                           std::vector<float>{0.5f},
                           std::vector<std::string>{"a", "", "c"},
                           std::vector<float>{1, 2, 3},
                           Value()};
  std::string row;
  EncodeRow(fs, vs, &row);
  EXPECT_EQ(DecodeRow(fs, row), vs);
}

TEST(RowCodecTest, OldRowsReadAfterWideningAndFeatureChanges) {
  std::vector<FeatureDef> v1 = {F("a", "int32", 1), F("b", "float32", 2), F("c", "string", 3)};
  std::string row;
  EncodeRow(v1, {int64_t{41}, 0.5, std::string("x")}, &row);
  // v2: a widened, b widened, c dropped, d added.
  std::vector<FeatureDef> v2 = {F("a", "int64", 1), F("b", "float64", 2), F("d", "bool", 4)};
  std::vector<Value> got = DecodeRow(v2, row);
  EXPECT_EQ(got[0], Value(int64_t{41}));
  EXPECT_EQ(got[1], Value(0.5));
  EXPECT_TRUE(IsNull(got[2]));
}

TEST(RowCodecTest, MalformedRowsAreDetected) {
  std::vector<FeatureDef> fs = {F("s", "string", 1)};
  std::string row;
  EncodeRow(fs, {std::string("abcdef")}, &row);
  RowFieldReader reader(std::string_view(row).substr(0, row.size() - 2));
  FieldRef f;
  EXPECT_FALSE(reader.Next(&f));
  EXPECT_TRUE(reader.corrupt());
}

TEST(KeyCodecTest, Int64KeysSortLikeIntegersAndTimesDescend) {
  std::string a, b, c;
  AppendInt64Key(&a, -5);
  AppendInt64Key(&b, 3);
  AppendInt64Key(&c, 1000);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  std::string t1, t2;
  AppendDescendingInt64(&t1, 100);
  AppendDescendingInt64(&t2, 99);
  EXPECT_LT(t1, t2);  // newer sorts first
  EXPECT_EQ(DecodeDescendingInt64(t1.data()), 100);
  std::string n;
  AppendDescendingInt64(&n, -42);
  EXPECT_EQ(DecodeDescendingInt64(n.data()), -42);
}

}  // namespace
}  // namespace strata
