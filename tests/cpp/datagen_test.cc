// `strata gen recsys`: deterministic for a seed, and the properties docs/synthetic-data.md
// promises (Zipf items, power-law users, a daily cycle, late clicks, signal in sequences).

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include "strata/datagen/recsys_generator.h"
#include "test_repo.h"

namespace strata::datagen {
namespace {

using strata::testing::TempDir;

constexpr int64_t kDay = 86'400'000'000;
constexpr int64_t kEnd = 20'000 * kDay;  // 2024-10-04T00:00:00Z

std::shared_ptr<arrow::Table> Read(const std::string& path) {
  auto file = arrow::io::ReadableFile::Open(path).ValueOrDie();
  auto reader = parquet::arrow::OpenFile(file, arrow::default_memory_pool()).ValueOrDie();
  auto table = reader->ReadTable().ValueOrDie();
  return table->CombineChunks().ValueOrDie();
}

template <typename ArrayType>
const ArrayType& Col(const arrow::Table& t, const std::string& name) {
  return static_cast<const ArrayType&>(*t.GetColumnByName(name)->chunk(0));
}

std::string Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

RecsysOptions Small() {
  RecsysOptions o;
  o.users = 5'000;
  o.items = 2'000;
  o.days = 14;
  o.end_micros = kEnd;
  o.seed = 7;
  o.embedding_dim = 16;
  return o;
}

TEST(RecsysGenerator, SameOptionsGiveTheSameBytesAndAnotherSeedDifferentData) {
  TempDir a, b, c;
  auto ra = GenerateRecsys(Small(), a.str());
  auto rb = GenerateRecsys(Small(), b.str());
  ASSERT_TRUE(ra.ok()) << ra.status().ToString();
  ASSERT_TRUE(rb.ok());
  ASSERT_EQ(ra->files.size(), 5u);
  for (const auto& f : ra->files) {
    EXPECT_GT(f.rows, 0) << f.name;
    EXPECT_EQ(Bytes(f.path), Bytes(b.str() + "/" + f.name + ".parquet")) << f.name;
  }
  auto other = Small();
  other.seed = 8;
  auto rc = GenerateRecsys(other, c.str());
  ASSERT_TRUE(rc.ok());
  EXPECT_NE(Bytes(a.str() + "/impressions.parquet"), Bytes(c.str() + "/impressions.parquet"));
  EXPECT_EQ(ra->start_micros, kEnd - 14 * kDay);
}

TEST(RecsysGenerator, BadOptionsAreRefusedWithTheirName) {
  TempDir d;
  auto o = Small();
  o.users = 0;
  auto r = GenerateRecsys(o, d.str());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--users"), std::string::npos);
  o = Small();
  o.end_micros = kEnd + 5;
  EXPECT_FALSE(GenerateRecsys(o, d.str()).ok());
}

class RecsysData : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto o = Small();
    o.users = 20'000;
    o.items = 5'000;
    o.days = 21;
    auto r = GenerateRecsys(o, dir_->str());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    summary_ = new RecsysSummary(*r);
    impressions_ = new std::shared_ptr<arrow::Table>(Read(dir_->str() + "/impressions.parquet"));
  }
  static void TearDownTestSuite() {
    delete impressions_;
    delete summary_;
    delete dir_;
  }
  static const arrow::Table& impressions() { return **impressions_; }

  static TempDir* dir_;
  static RecsysSummary* summary_;
  static std::shared_ptr<arrow::Table>* impressions_;
};
TempDir* RecsysData::dir_ = nullptr;
RecsysSummary* RecsysData::summary_ = nullptr;
std::shared_ptr<arrow::Table>* RecsysData::impressions_ = nullptr;

TEST_F(RecsysData, ClickRateIsPlausibleAndFallsWithPosition) {
  const auto& label = Col<arrow::Int32Array>(impressions(), "label");
  const auto& pos = Col<arrow::Int32Array>(impressions(), "position");
  std::map<int, std::pair<int64_t, int64_t>> by_pos;
  int64_t clicks = 0;
  for (int64_t i = 0; i < label.length(); ++i) {
    clicks += label.Value(i);
    by_pos[pos.Value(i)].first += label.Value(i);
    ++by_pos[pos.Value(i)].second;
  }
  const double ctr = static_cast<double>(clicks) / label.length();
  EXPECT_GT(ctr, 0.02);
  EXPECT_LT(ctr, 0.20);
  EXPECT_EQ(clicks, summary_->clicks);
  const auto rate = [&](int p) { return static_cast<double>(by_pos[p].first) / by_pos[p].second; };
  EXPECT_GT(rate(0), rate(4));
}

TEST_F(RecsysData, ItemPopularityIsZipfAndUserActivityAPowerLaw) {
  const auto& item = Col<arrow::Int64Array>(impressions(), "item_id");
  const auto& user = Col<arrow::Int64Array>(impressions(), "user_id");
  std::unordered_map<int64_t, int64_t> per_item, per_user;
  for (int64_t i = 0; i < item.length(); ++i) ++per_item[item.Value(i)], ++per_user[user.Value(i)];
  const auto top_share = [&](const std::unordered_map<int64_t, int64_t>& m, double fraction, int64_t population) {
    std::vector<int64_t> counts;
    for (const auto& [k, v] : m) counts.push_back(v);
    std::sort(counts.rbegin(), counts.rend());
    int64_t top = 0;
    for (int64_t i = 0; i < static_cast<int64_t>(fraction * population) && i < static_cast<int64_t>(counts.size()); ++i) top += counts[i];
    return static_cast<double>(top) / item.length();
  };
  EXPECT_GT(top_share(per_item, 0.01, 5'000), 0.25);  // 1% of items: over a quarter of impressions
  EXPECT_GT(top_share(per_user, 0.10, 20'000), 0.40);  // 10% of users: over 40%
}

TEST_F(RecsysData, TrafficFollowsADailyCycle) {
  const auto& ts = Col<arrow::TimestampArray>(impressions(), "ts");
  std::vector<int64_t> hours(24);
  for (int64_t i = 0; i < ts.length(); ++i) ++hours[(ts.Value(i) / 3'600'000'000) % 24];
  EXPECT_GT(hours[20], 3 * hours[8]);  // the evening peak against the morning trough
}

TEST_F(RecsysData, ClicksArriveLateAndOutOfOrder) {
  auto clicks = Read(dir_->str() + "/user_clicks.parquet");
  const auto& ts = Col<arrow::TimestampArray>(*clicks, "ts");
  int64_t inversions = 0, max_back = 0, running_max = 0;
  for (int64_t i = 0; i < ts.length(); ++i) {
    if (ts.Value(i) < running_max) ++inversions, max_back = std::max(max_back, running_max - ts.Value(i));
    running_max = std::max(running_max, ts.Value(i));
  }
  EXPECT_GT(inversions, ts.length() / 100);
  EXPECT_GT(max_back, 3'600'000'000LL);  // some arrive over an hour after newer events
  EXPECT_EQ(clicks->num_rows(), summary_->clicks);
}

// A click makes its item's category likelier to be clicked again soon: the signal that the
// click sequence carries beyond a user's static taste.
TEST_F(RecsysData, RecentClicksPredictTheNextClick) {
  auto items = Read(dir_->str() + "/item_features.parquet");
  std::unordered_map<int64_t, int64_t> category;
  const auto& iid = Col<arrow::Int64Array>(*items, "item_id");
  const auto& cat = Col<arrow::Int64Array>(*items, "category");
  for (int64_t i = 0; i < iid.length(); ++i) category[iid.Value(i)] = cat.Value(i);
  // Impressions in time order per user; the category of the user's last click so far.
  const auto& user = Col<arrow::Int64Array>(impressions(), "user_id");
  const auto& item = Col<arrow::Int64Array>(impressions(), "item_id");
  const auto& ts = Col<arrow::TimestampArray>(impressions(), "ts");
  const auto& label = Col<arrow::Int32Array>(impressions(), "label");
  std::vector<int64_t> order(user.length());
  for (int64_t i = 0; i < user.length(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return user.Value(a) != user.Value(b) ? user.Value(a) < user.Value(b) : ts.Value(a) < ts.Value(b);
  });
  std::unordered_map<int64_t, int64_t> last_click_category;
  int64_t same_shown = 0, same_clicked = 0, other_shown = 0, other_clicked = 0;
  for (size_t k = 0; k < order.size();) {
    // One request at a time: its clicks join the state after it.
    size_t end = k;
    while (end < order.size() && user.Value(order[end]) == user.Value(order[k]) && ts.Value(order[end]) == ts.Value(order[k])) ++end;
    for (size_t j = k; j < end; ++j) {
      const int64_t i = order[j];
      auto it = last_click_category.find(user.Value(i));
      if (it == last_click_category.end()) continue;
      if (category[item.Value(i)] == it->second) ++same_shown, same_clicked += label.Value(i);
      else ++other_shown, other_clicked += label.Value(i);
    }
    for (size_t j = k; j < end; ++j)
      if (label.Value(order[j])) last_click_category[user.Value(order[j])] = category[item.Value(order[j])];
    k = end;
  }
  ASSERT_GT(same_shown, 1000);
  const double same = static_cast<double>(same_clicked) / same_shown, other = static_cast<double>(other_clicked) / other_shown;
  EXPECT_GT(same, 1.5 * other) << same << " vs " << other;
}

TEST_F(RecsysData, EveryUserHasAProfileBeforeThePeriodAndWithinItsTtl) {
  auto profiles = Read(dir_->str() + "/user_profile.parquet");
  const auto& user = Col<arrow::Int64Array>(*profiles, "user_id");
  const auto& ts = Col<arrow::TimestampArray>(*profiles, "ts");
  std::unordered_map<int64_t, std::vector<int64_t>> versions;
  for (int64_t i = 0; i < user.length(); ++i) versions[user.Value(i)].push_back(ts.Value(i));
  ASSERT_EQ(versions.size(), 20'000u);
  for (auto& [u, v] : versions) {
    std::sort(v.begin(), v.end());
    ASSERT_LT(v.front(), summary_->start_micros) << u;
    for (size_t k = 1; k < v.size(); ++k) ASSERT_LE(v[k] - v[k - 1], 8 * kDay) << u;
    ASSERT_GE(v.back(), kEnd - 8 * kDay) << u;
  }
  EXPECT_GT(profiles->GetColumnByName("country")->null_count(), 0);  // unknown countries are nulls
}

}  // namespace
}  // namespace strata::datagen
