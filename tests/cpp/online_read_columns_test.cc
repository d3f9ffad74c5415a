// Reads into a ReadColumns kept across reads (FeatureRepository::ReadInto): every read must give
// exactly what a fresh Read gives, whatever the previous read into the same object was.

#include <arrow/array.h>
#include <gtest/gtest.h>

#include "strata/core/time.h"
#include "test_repo.h"

namespace strata {
namespace {

using testing::Cell;
using testing::ListCell;
using testing::MakeRepo;
using testing::Row;
using testing::TempDir;

constexpr int64_t kSec = kMicrosPerSecond;

class ReadColumnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = MakeRepo(dir_, R"(entities:
  user: {key: user_id}
feature_groups:
  profile:
    entity: user
    features: {age: int32, country: string, score: float64, active: bool, seen: timestamp}
  other:
    entity: user
    features: {n: int64, tags: "list<string>", vec: "vector<float32,4>"}
  clicks:
    entity: user
    kind: sequence
    max_length: 4
    features: {item: int64, label: string}
)");
    ASSERT_TRUE(repo_);
    const int64_t t = NowMicros() - 60 * kSec;
    std::vector<FeatureRow> profile, other, clicks;
    for (int64_t k = 0; k < 40; ++k) {
      profile.push_back(Row(k, t, {k % 5 == 0 ? Value() : Value(k), k % 3 == 0 ? Value() : Value("c" + std::to_string(k)),
                                   Value(k * 0.5), Value(k % 2 == 0), Value(t + k)}));
      other.push_back(Row(k, t, {Value(k * 7), Value(std::vector<std::string>{"a" + std::to_string(k), "b"}),
                                 Value(std::vector<float>{1, 2, 3, static_cast<float>(k)})}));
      for (int64_t e = 0; e < k % 6; ++e)
        clicks.push_back(Row(k, t + e, {Value(k * 100 + e), e % 2 ? Value() : Value("l" + std::to_string(e))}));
    }
    ASSERT_TRUE(repo_->Write(G("profile"), profile).ok());
    ASSERT_TRUE(repo_->Write(G("other"), other).ok());
    ASSERT_TRUE(repo_->Write(G("clicks"), clicks).ok());
  }
  const FeatureGroupDef& G(const char* name) { return **repo_->FindGroup(name); }
  std::vector<const FeatureDef*> Features(const char* group, std::vector<std::string> names) {
    return *repo_->SelectFeatures(G(group), names);
  }
  // Reads `keys` into `reused` and checks every column against a fresh Read, both through the
  // in-place accessors (scalar features) and as copied Arrow arrays.
  void ExpectSameAsRead(const char* group, const std::vector<std::string>& names, std::vector<Value> keys,
                        ReadColumns* reused, int32_t limit = 0) {
    SCOPED_TRACE(std::string(group) + " with " + std::to_string(keys.size()) + " keys");
    const auto features = Features(group, names);
    auto fresh = repo_->Read(G(group), keys, features, std::nullopt, limit);
    ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
    std::vector<RowInfo> info;
    Status st = repo_->ReadInto(G(group), keys, features, reused, std::nullopt, limit, &info);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(reused->size(), features.size());
    ASSERT_EQ(reused->rows(), static_cast<int64_t>(keys.size()));
    ASSERT_EQ(info.size(), keys.size());
    for (size_t c = 0; c < features.size(); ++c) {
      const arrow::Array& want = *(*fresh)[c];
      const FeatureColumnBuilder& col = (*reused)[c];
      for (int64_t i = 0; i < want.length(); ++i) {
        SCOPED_TRACE(names[c] + " row " + std::to_string(i));
        ASSERT_EQ(col.IsNull(i), want.IsNull(i));
        if (want.IsNull(i) || !col.scalar()) continue;
        if (col.as_list()) {
          auto [first, last] = col.ElementsOf(i);
          auto cell = ListCell(want, i);
          ASSERT_EQ(last - first, static_cast<int64_t>(cell->size()));
          for (int64_t e = first; e < last; ++e) EXPECT_EQ(ScalarValue(col, e), (*cell)[e - first]);
        } else {
          EXPECT_EQ(ScalarValue(col, i), Cell(want, i));
        }
      }
      auto copy = reused->Copy(c);
      ASSERT_TRUE(copy.ok());
      ASSERT_TRUE((*copy)->ValidateFull().ok());
      EXPECT_TRUE((*copy)->Equals(want)) << (*copy)->ToString() << "\nvs\n" << want.ToString();
    }
  }
  // Element i of a scalar column, as Cell gives it.
  static Value ScalarValue(const FeatureColumnBuilder& col, int64_t i) {
    const ScalarColumnWriter& s = *col.scalar();
    if (s.IsNull(i)) return Value();
    switch (col.type().id) {
      case TypeId::kInt32: return int64_t{s.Value<int32_t>(i)};
      case TypeId::kInt64: return s.Value<int64_t>(i);
      case TypeId::kFloat64: return s.Value<double>(i);
      case TypeId::kBool: return s.BoolValue(i);
      case TypeId::kString: return std::string(s.BinaryValue(i));
      case TypeId::kTimestamp: return Value(std::string("<timestamp[us, tz=UTC]>"));  // as Cell names it
      default: return Value(std::string("?"));
    }
  }

  TempDir dir_;
  std::unique_ptr<FeatureRepository> repo_;
};

TEST_F(ReadColumnsTest, EveryReadIntoOneObjectMatchesAFreshRead) {
  ReadColumns reused;
  std::vector<Value> many, few = {int64_t{3}, int64_t{99}, Value(), int64_t{10}};
  for (int64_t k = 39; k >= 0; --k) many.push_back(k);
  // Large then small, then with the columns in another order (types change), then back.
  ExpectSameAsRead("profile", {"age", "country", "score", "active", "seen"}, many, &reused);
  ExpectSameAsRead("profile", {"age", "country", "score", "active", "seen"}, few, &reused);
  ExpectSameAsRead("profile", {"country", "age"}, many, &reused);
  ExpectSameAsRead("profile", {"age", "country"}, few, &reused);  // as many columns, other types
  ExpectSameAsRead("profile", {"age", "country", "score", "active", "seen"}, {int64_t{15}}, &reused);
  ExpectSameAsRead("profile", {"age", "country", "score", "active", "seen"}, {}, &reused);
  // Arrow-built columns (lists, embeddings) and sequences (lists of scalars) into the same object.
  ExpectSameAsRead("other", {"n", "tags", "vec"}, many, &reused);
  ExpectSameAsRead("other", {"n", "tags", "vec"}, few, &reused);
  ExpectSameAsRead("clicks", {"item", "label"}, many, &reused, 3);
  ExpectSameAsRead("clicks", {"item", "label"}, few, &reused);
  ExpectSameAsRead("profile", {"age", "country", "score", "active", "seen"}, many, &reused);
}

TEST_F(ReadColumnsTest, TakenArraysKeepTheirValuesWhileTheObjectIsReadAgain) {
  ReadColumns reused;
  const auto features = Features("profile", {"age", "country"});
  ASSERT_TRUE(repo_->ReadInto(G("profile"), std::vector<Value>{int64_t{1}, int64_t{2}}, features, &reused).ok());
  auto taken = reused.TakeArrays();
  ASSERT_TRUE(taken.ok());
  auto copied = [&] {  // a copy of the next read's first column
    return *reused.Copy(0);
  };
  ASSERT_TRUE(repo_->ReadInto(G("profile"), std::vector<Value>{int64_t{7}}, features, &reused).ok());
  const auto next = copied();
  ASSERT_TRUE(repo_->ReadInto(G("profile"), std::vector<Value>{int64_t{8}, int64_t{9}, int64_t{11}}, features, &reused).ok());
  EXPECT_EQ(Cell(*(*taken)[0], 0), Value(int64_t{1}));
  EXPECT_EQ(Cell(*(*taken)[0], 1), Value(int64_t{2}));
  EXPECT_EQ(Cell(*(*taken)[1], 1), Value(std::string("c2")));
  ASSERT_EQ(next->length(), 1);
  EXPECT_EQ(Cell(*next, 0), Value(int64_t{7}));
  EXPECT_EQ(reused.rows(), 3);
}

}  // namespace
}  // namespace strata
