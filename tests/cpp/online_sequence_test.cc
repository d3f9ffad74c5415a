// Sequence groups in the online store: DESIGN.md rule 4.

#include <gtest/gtest.h>

#include "strata/core/time.h"
#include "test_repo.h"

namespace strata {
namespace {

using testing::ListCell;
using testing::MakeRepo;
using testing::Row;
using testing::TempDir;

constexpr int64_t kSec = kMicrosPerSecond;

// Each test runs twice: with sequences read through the sequence cache (the default) and without.
class OnlineSequenceTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    repo_ = MakeRepo(dir_, std::string(GetParam() ? "" : "online: {sequence_cache_mb: 0}\n") + R"(entities:
  user: {key: user_id}
feature_groups:
  clicks:
    entity: user
    kind: sequence
    max_length: 5
    retention: 1h
    features: {item: int64, dwell: int32}
  short:
    entity: user
    kind: sequence
    max_length: 2
    history: 1h
    features: {item: int64}
)");
    ASSERT_TRUE(repo_);
    g_ = *repo_->FindGroup("clicks");
  }
  void Write(std::vector<FeatureRow> rows) { ASSERT_TRUE(repo_->Write(*g_, rows).ok()); }
  // The `item` list of each key; nullopt for a null list.
  std::vector<std::optional<std::vector<Value>>> Items(std::vector<Value> keys, std::optional<int64_t> as_of = std::nullopt,
                                                       int32_t limit = 0) {
    auto cols = repo_->Read(*g_, keys, {&g_->features[0]}, as_of, limit);
    EXPECT_TRUE(cols.ok()) << cols.status().ToString();
    EXPECT_TRUE((*cols)[0]->ValidateFull().ok());
    EXPECT_EQ((*cols)[0]->type()->ToString(), "list<item: int64>");
    std::vector<std::optional<std::vector<Value>>> out;
    for (size_t i = 0; i < keys.size(); ++i) out.push_back(ListCell(*(*cols)[0], static_cast<int64_t>(i)));
    return out;
  }
  static std::vector<Value> V(std::initializer_list<int64_t> xs) {
    std::vector<Value> v;
    for (auto x : xs) v.push_back(x);
    return v;
  }

  TempDir dir_;
  std::unique_ptr<FeatureRepository> repo_;
  const FeatureGroupDef* g_ = nullptr;
  const int64_t t0_ = NowMicros() - 600 * kSec;
};

INSTANTIATE_TEST_SUITE_P(SequenceCache, OnlineSequenceTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Cached" : "Uncached"; });

TEST_P(OnlineSequenceTest, NewestFirstWithTiesByWriteSeq) {
  Write({Row(int64_t{1}, t0_ + 1, {int64_t{10}, int64_t{1}}), Row(int64_t{1}, t0_ + 3, {int64_t{30}, Value()}),
         Row(int64_t{1}, t0_ + 2, {int64_t{20}, int64_t{2}})});
  Write({Row(int64_t{1}, t0_ + 2, {int64_t{21}, int64_t{2}})});  // same time, ingested later: comes first
  EXPECT_EQ(Items({int64_t{1}})[0], V({30, 21, 20, 10}));
  auto cols = repo_->Read(*g_, std::vector<Value>{int64_t{1}}, {&g_->features[1]});
  ASSERT_TRUE(cols.ok());
  auto dwell = ListCell(*(*cols)[0], 0);
  ASSERT_TRUE(dwell);
  EXPECT_TRUE(IsNull((*dwell)[0]));  // a null inside an event stays null
  EXPECT_EQ((*dwell)[1], Value(int64_t{2}));
}

TEST_P(OnlineSequenceTest, AsOfExcludesFutureEventsAndLimitTakesNewestN) {
  std::vector<FeatureRow> rows;
  for (int64_t i = 1; i <= 5; ++i) rows.push_back(Row(int64_t{1}, t0_ + i * kSec, {i, Value()}));
  Write(rows);
  EXPECT_EQ(Items({int64_t{1}}, t0_ + 3 * kSec)[0], V({3, 2, 1}));
  EXPECT_EQ(Items({int64_t{1}}, t0_ + 3 * kSec - 1)[0], V({2, 1}));
  EXPECT_EQ(Items({int64_t{1}}, std::nullopt, 2)[0], V({5, 4}));
  EXPECT_EQ(Items({int64_t{1}}, std::nullopt, 50)[0], V({5, 4, 3, 2, 1}));  // capped at max_length
  EXPECT_EQ(Items({int64_t{1}}, t0_)[0], std::nullopt);                     // nothing visible yet: null
  EXPECT_EQ(Items({int64_t{2}})[0], std::nullopt);                           // unknown key: null
}

// max_length bounds what any read returns; storage keeps what reads inside the history window
// can return: every event inside the window, and the newest max_length before it.
TEST_P(OnlineSequenceTest, TrimsToMaxLengthOutsideTheHistoryWindowOnly) {
  const FeatureGroupDef& s = **repo_->FindGroup("short");
  const int64_t now = NowMicros();
  auto items = [&](std::optional<int64_t> as_of) {
    auto cols = repo_->Read(s, std::vector<Value>{int64_t{7}}, {&s.features[0]}, as_of);
    EXPECT_TRUE(cols.ok()) << cols.status().ToString();
    return testing::ListCell(*(*cols)[0], 0);
  };
  std::vector<FeatureRow> rows;
  for (int64_t i = 0; i < 6; ++i) rows.push_back(Row(int64_t{7}, now - (3 * 3600 - i * 60) * kSec, {i}));  // before the window
  for (int64_t i = 10; i < 14; ++i) rows.push_back(Row(int64_t{7}, now - (40 - i) * 60 * kSec, {i}));      // inside it
  ASSERT_TRUE(repo_->Write(s, rows).ok());
  EXPECT_EQ(items(std::nullopt), V({13, 12}));
  EXPECT_EQ(items(now - 29 * 60 * kSec), V({11, 10}));  // a read in the past sees the newest 2 as of then
  EXPECT_EQ(items(now - 31 * 60 * kSec), V({5, 4}));    // before the window's events: the 2 kept from before
  EXPECT_EQ(repo_->online().Stats()->sequence_events, 6u);  // 4 inside the window + 2 before it
  // A late event older than the 2 kept before the window is dropped at once.
  ASSERT_TRUE(repo_->Write(s, std::vector<FeatureRow>{Row(int64_t{7}, now - 4 * 3600 * kSec, {int64_t{-1}})}).ok());
  EXPECT_EQ(repo_->online().Stats()->sequence_events, 6u);
}

// A future-dated event (clock skew) must not push visible events out of a read at now.
TEST_P(OnlineSequenceTest, FutureEventsDoNotDisplaceVisibleOnes) {
  const FeatureGroupDef& s = **repo_->FindGroup("short");
  const int64_t now = NowMicros();
  ASSERT_TRUE(repo_->Write(s, std::vector<FeatureRow>{Row(int64_t{1}, now - 20 * kSec, {int64_t{1}}),
                                                      Row(int64_t{1}, now - 10 * kSec, {int64_t{2}}),
                                                      Row(int64_t{1}, now + 3600 * kSec, {int64_t{3}})}).ok());
  auto cols = repo_->Read(s, std::vector<Value>{int64_t{1}}, {&s.features[0]});
  ASSERT_TRUE(cols.ok());
  EXPECT_EQ(testing::ListCell(*(*cols)[0], 0), V({2, 1}));
}

TEST_P(OnlineSequenceTest, RetentionHidesOldEventsAndCompactionReclaimsThem) {
  const int64_t now = NowMicros();
  Write({Row(int64_t{1}, now - 30 * 24 * 3600 * kSec, {int64_t{1}, Value()}),  // long past retention and history
         Row(int64_t{1}, now - 2 * 3600 * kSec, {int64_t{2}, Value()}),        // past retention, inside history
         Row(int64_t{1}, now - 60 * kSec, {int64_t{3}, Value()})});
  EXPECT_EQ(Items({int64_t{1}})[0], V({3}));
  EXPECT_EQ(Items({int64_t{1}}, now - 90 * 60 * kSec)[0], V({2}));  // exact inside the history window
  ASSERT_TRUE(repo_->online().Compact().ok());
  EXPECT_EQ(repo_->online().Stats()->sequence_events, 2u);
  EXPECT_EQ(Items({int64_t{1}})[0], V({3}));
}

TEST_P(OnlineSequenceTest, ManyKeysInOneRead) {
  std::vector<FeatureRow> rows;
  for (int64_t k = 0; k < 300; ++k)
    for (int64_t e = 0; e < k % 8; ++e) rows.push_back(Row(k, t0_ + e, {k * 100 + e, Value()}));
  Write(rows);
  std::vector<Value> keys;
  for (int64_t k = 0; k < 300; ++k) keys.push_back(k);
  auto items = Items(keys);
  for (int64_t k = 0; k < 300; ++k) {
    const int64_t n = std::min<int64_t>(k % 8, 5);
    if (n == 0) {
      EXPECT_EQ(items[k], std::nullopt);
      continue;
    }
    ASSERT_TRUE(items[k]);
    ASSERT_EQ(static_cast<int64_t>(items[k]->size()), n) << k;
    EXPECT_EQ((*items[k])[0], Value(k * 100 + k % 8 - 1));
  }
}

// Sequences are cached whole in the latest-value cache (on by default) and reads copy out only
// their newest events: every read must still see every write, at any limit and as-of time.
TEST_P(OnlineSequenceTest, CachedSequencesSeeEveryWriteAtAnyLimitAndAsOf) {
  std::vector<FeatureRow> rows;
  for (int64_t i = 1; i <= 4; ++i) rows.push_back(Row(int64_t{1}, t0_ + i * kSec, {i, Value()}));
  Write(rows);
  EXPECT_EQ(Items({int64_t{1}}, std::nullopt, 1)[0], V({4}));  // cached now; one event copied out
  EXPECT_EQ(Items({int64_t{1}})[0], V({4, 3, 2, 1}));
  EXPECT_EQ(Items({int64_t{1}}, t0_ + 3 * kSec, 2)[0], V({3, 2}));  // past the newer event first
  EXPECT_EQ(Items({int64_t{1}}, t0_ + 3 * kSec)[0], V({3, 2, 1}));
  Write({Row(int64_t{1}, t0_ + 5 * kSec, {int64_t{5}, Value()})});
  EXPECT_EQ(Items({int64_t{1}}, std::nullopt, 2)[0], V({5, 4}));
  Write({Row(int64_t{1}, t0_ + 6 * kSec, {int64_t{6}, Value()}), Row(int64_t{2}, t0_, {int64_t{20}, Value()})});
  auto items = Items({int64_t{1}, int64_t{2}, int64_t{3}});
  EXPECT_EQ(items[0], V({6, 5, 4, 3, 2}));  // trimmed to max_length 5
  EXPECT_EQ(items[1], V({20}));
  EXPECT_EQ(items[2], std::nullopt);
}

// One writer appends an event to every key in each batch; readers must see the same newest
// event for every key, whether their values come from the cache or from RocksDB.
TEST(OnlineSequenceConcurrencyTest, ReadersNeverSeeAHalfAppliedBatch) {
  TempDir dir;
  auto repo = MakeRepo(dir, "online: {backend: rocksdb, path: .strata/online, sync: false, sequence_cache_mb: 1}\n"
                            "entities:\n  user: {key: user_id}\nfeature_groups:\n  s:\n    entity: user\n"
                            "    kind: sequence\n    max_length: 3\n    features: {v: int64}\n");
  ASSERT_TRUE(repo);
  const auto& g = **repo->FindGroup("s");
  // Each key's newest event.
  testing::ExpectNoTornReads(*repo, g, 300, 150, [&](const std::vector<Value>& keys) -> std::optional<std::vector<Value>> {
    auto cols = repo->Read(g, keys, {&g.features[0]}, std::nullopt, 1);
    if (!cols.ok()) return std::nullopt;
    std::vector<Value> out;
    for (int64_t i = 0; i < (*cols)[0]->length(); ++i) {
      auto cell = ListCell(*(*cols)[0], i);
      out.push_back(cell && !cell->empty() ? (*cell)[0] : Value());
    }
    return out;
  });
}

}  // namespace
}  // namespace strata
