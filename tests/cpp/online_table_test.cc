// Table groups in the online store: DESIGN.md rules 1-3 and 5 through the repository API.

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <regex>
#include <thread>

#include "strata/core/time.h"
#include "test_repo.h"

namespace strata {
namespace {

using testing::Cell;
using testing::MakeRepo;
using testing::Row;
using testing::TempDir;

constexpr int64_t kSec = kMicrosPerSecond;
const int64_t kNow = NowMicros();
const int64_t T0 = kNow - 3600 * kSec;  // an hour ago: inside the default 7d history

const char* kBody = R"(
entities:
  user: {key: user_id, type: int64}
  page: {key: url, type: string}
feature_groups:
  profile:
    entity: user
    features: {age: int32, country: string, score: float32}
  fresh:
    entity: user
    ttl: 10s
    features: {x: int64}
  pages:
    entity: page
    features: {views: int64}
)";

// Each test runs three times: reading RocksDB only; with a (small) latest-row cache in front of
// it, which writes read their keys' states from; and with that cache written through, as in a
// write-only process (then the reads of the test share the cache with the writes).
enum class CacheMode { kUncached, kCached, kWriteThrough };

std::string OnlineLine(CacheMode mode) {
  return mode == CacheMode::kUncached ? "online: {latest_cache_mb: 0}\n" : "online: {latest_cache_mb: 1}\n";
}
RepositoryOptions OptionsFor(CacheMode mode) { return {.write_only = mode == CacheMode::kWriteThrough}; }

class OnlineTableTest : public ::testing::TestWithParam<CacheMode> {
 protected:
  void SetUp() override {
    repo_ = MakeRepo(dir_, OnlineLine(GetParam()) + kBody, OptionsFor(GetParam()));
    ASSERT_TRUE(repo_);
  }
  const FeatureGroupDef& G(const char* name) { return **repo_->FindGroup(name); }
  void Write(const char* group, std::vector<FeatureRow> rows) {
    auto r = repo_->Write(G(group), rows);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // Reads one feature of many keys as of `as_of`.
  std::vector<Value> Read(const char* group, const char* feature, std::vector<Value> keys,
                          std::optional<int64_t> as_of = std::nullopt) {
    auto fs = repo_->SelectFeatures(G(group), {feature});
    EXPECT_TRUE(fs.ok());
    auto cols = repo_->Read(G(group), keys, *fs, as_of);
    EXPECT_TRUE(cols.ok()) << cols.status().ToString();
    std::vector<Value> out;
    if (!cols.ok()) return out;
    for (int64_t i = 0; i < (*cols)[0]->length(); ++i) out.push_back(Cell(*(*cols)[0], i));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<FeatureRepository> repo_;
};

INSTANTIATE_TEST_SUITE_P(LatestRowCache, OnlineTableTest,
                         ::testing::Values(CacheMode::kUncached, CacheMode::kCached, CacheMode::kWriteThrough),
                         [](const ::testing::TestParamInfo<CacheMode>& p) {
                           return p.param == CacheMode::kUncached ? "Uncached"
                                  : p.param == CacheMode::kCached ? "Cached"
                                                                  : "WriteThrough";
                         });

TEST_P(OnlineTableTest, NewestEventTimeWinsAndLateEventsNeverOverwrite) {
  Write("profile", {Row(int64_t{1}, T0 + 10, {int64_t{30}, std::string("DE"), 0.5})});
  Write("profile", {Row(int64_t{1}, T0 + 5, {int64_t{29}, std::string("FR"), 0.1})});  // late
  EXPECT_EQ(Read("profile", "age", {int64_t{1}}), std::vector<Value>{int64_t{30}});
  // The late row is still visible as of a time before the newer one.
  EXPECT_EQ(Read("profile", "age", {int64_t{1}}, T0 + 7), std::vector<Value>{int64_t{29}});
  EXPECT_EQ(Read("profile", "age", {int64_t{1}}, T0 + 4), std::vector<Value>{Value()});
}

TEST_P(OnlineTableTest, TiesAtTheSameEventTimeGoToTheLastIngested) {
  Write("profile", {Row(int64_t{1}, T0, {int64_t{1}, Value(), Value()}), Row(int64_t{1}, T0, {int64_t{2}, Value(), Value()})});
  EXPECT_EQ(Read("profile", "age", {int64_t{1}}), std::vector<Value>{int64_t{2}});
  Write("profile", {Row(int64_t{1}, T0, {int64_t{3}, Value(), Value()})});  // a later batch, same time
  EXPECT_EQ(Read("profile", "age", {int64_t{1}}), std::vector<Value>{int64_t{3}});
  EXPECT_EQ(Read("profile", "age", {int64_t{1}}, T0), std::vector<Value>{int64_t{3}});
}

TEST_P(OnlineTableTest, AsOfReadsWalkHistoryExactly) {
  // Ingested out of order on purpose.
  for (int64_t v : {5, 1, 9, 3, 7}) Write("profile", {Row(int64_t{1}, T0 + v * kSec, {v, Value(), Value()})});
  for (int64_t t = 0; t <= 10; ++t) {
    const int64_t as_of = T0 + t * kSec;
    Value want;
    for (int64_t v : {1, 3, 5, 7, 9})
      if (v <= t) want = v;
    EXPECT_EQ(Read("profile", "age", {int64_t{1}}, as_of), std::vector<Value>{want}) << "t=" << t;
    // An event exactly at t is visible; 1 us before it is not.
    EXPECT_EQ(Read("profile", "age", {int64_t{1}}, as_of - 1)[0] == want, t % 2 == 0 || t == 0) << "t=" << t;
  }
}

TEST_P(OnlineTableTest, NullInsideTheWinningRowIsNull) {
  Write("profile", {Row(int64_t{1}, T0, {int64_t{30}, std::string("DE"), 0.5})});
  Write("profile", {Row(int64_t{1}, T0 + 1, {int64_t{31}, Value(), Value()})});
  EXPECT_EQ(Read("profile", "country", {int64_t{1}}), std::vector<Value>{Value()});
  EXPECT_EQ(Read("profile", "country", {int64_t{1}}, T0), std::vector<Value>{std::string("DE")});
}

TEST_P(OnlineTableTest, TtlBoundaryIsInclusive) {
  Write("fresh", {Row(int64_t{1}, T0, {int64_t{42}})});
  EXPECT_EQ(Read("fresh", "x", {int64_t{1}}, T0 + 10 * kSec), std::vector<Value>{int64_t{42}});
  EXPECT_EQ(Read("fresh", "x", {int64_t{1}}, T0 + 10 * kSec + 1), std::vector<Value>{Value()});
  EXPECT_EQ(Read("fresh", "x", {int64_t{1}}), std::vector<Value>{Value()});  // now: long expired
  // An expired newest row hides older ones too (they are older still).
  Write("fresh", {Row(int64_t{2}, T0 - 5 * kSec, {int64_t{1}}), Row(int64_t{2}, T0, {int64_t{2}})});
  EXPECT_EQ(Read("fresh", "x", {int64_t{2}}, T0 + 6 * kSec), std::vector<Value>{int64_t{2}});
  EXPECT_EQ(Read("fresh", "x", {int64_t{2}}, T0 + 4 * kSec), std::vector<Value>{int64_t{2}});
  EXPECT_EQ(Read("fresh", "x", {int64_t{2}}, T0 - 1), std::vector<Value>{int64_t{1}});
}

TEST_P(OnlineTableTest, FutureEventsAreInvisibleUntilTheirTime) {
  Write("profile", {Row(int64_t{1}, T0, {int64_t{1}, Value(), Value()}),
                    Row(int64_t{1}, kNow + 3600 * kSec, {int64_t{2}, Value(), Value()})});
  EXPECT_EQ(Read("profile", "age", {int64_t{1}}), std::vector<Value>{int64_t{1}});
}

TEST_P(OnlineTableTest, BatchReadsAreColumnarInKeyOrderWithNullsForUnknownKeys) {
  std::vector<FeatureRow> rows;
  for (int64_t k = 0; k < 1000; ++k) rows.push_back(Row(k, T0 + k, {k, std::string("c") + std::to_string(k % 7), k * 0.5}));
  Write("profile", rows);
  std::vector<Value> keys = {int64_t{999}, int64_t{-1}, int64_t{0}, int64_t{5000}, int64_t{0}};
  auto fs = *repo_->SelectFeatures(G("profile"), {});
  auto cols = repo_->Read(G("profile"), keys, fs);
  ASSERT_TRUE(cols.ok());
  ASSERT_EQ(cols->size(), 3u);
  EXPECT_EQ((*cols)[0]->type()->id(), arrow::Type::INT32);
  EXPECT_EQ((*cols)[1]->type()->id(), arrow::Type::STRING);
  EXPECT_EQ((*cols)[2]->type()->id(), arrow::Type::FLOAT);
  std::vector<Value> ages;
  for (int i = 0; i < 5; ++i) ages.push_back(Cell(*(*cols)[0], i));
  EXPECT_EQ(ages, (std::vector<Value>{int64_t{999}, Value(), int64_t{0}, Value(), int64_t{0}}));
  EXPECT_EQ(Cell(*(*cols)[1], 0), Value(std::string("c5")));
  EXPECT_EQ(Cell(*(*cols)[2], 0), Value(499.5));
  // An empty request gives empty columns.
  auto empty = repo_->Read(G("profile"), std::vector<Value>{}, fs);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)[0]->length(), 0);
}

TEST_P(OnlineTableTest, NullKeysReadAsNullRowsAndDuplicateFeaturesAreRefused) {
  Write("profile", {Row(int64_t{1}, T0, {int64_t{30}, Value(), Value()})});
  EXPECT_EQ(Read("profile", "age", {Value(), int64_t{1}, Value()}), (std::vector<Value>{Value(), int64_t{30}, Value()}));
  auto dup = repo_->SelectFeatures(G("profile"), {"age", "age"});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("requested more than once"), std::string::npos);
}

TEST_P(OnlineTableTest, StringKeys) {
  Write("pages", {Row(std::string("/a"), T0, {int64_t{1}}), Row(std::string(""), T0, {int64_t{2}}),
                  Row(std::string("/a/b"), T0, {int64_t{3}})});
  EXPECT_EQ(Read("pages", "views", {std::string("/a"), std::string(""), std::string("/a/b"), std::string("/")}),
            (std::vector<Value>{int64_t{1}, int64_t{2}, int64_t{3}, Value()}));
  auto bad = repo_->Read(G("pages"), std::vector<Value>{int64_t{1}}, *repo_->SelectFeatures(G("pages"), {}));
  EXPECT_FALSE(bad.ok());
}

TEST_P(OnlineTableTest, AsOfBeyondTheHistoryWindowIsRefused) {
  auto r = repo_->Read(G("profile"), std::vector<Value>{int64_t{1}}, *repo_->SelectFeatures(G("profile"), {}),
                       kNow - 8 * kMicrosPerDay);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("older than the online history of group profile (7d)"), std::string::npos);
}

TEST_P(OnlineTableTest, WriteSeqIsMonotonicAcrossReopen) {
  Write("profile", {Row(int64_t{1}, T0, {int64_t{1}, Value(), Value()}), Row(int64_t{2}, T0, {int64_t{1}, Value(), Value()})});
  EXPECT_EQ(repo_->last_write_seq(), 2u);
  repo_.reset();
  auto again = FeatureRepository::Open(dir_.str());
  ASSERT_TRUE(again.ok());
  repo_ = std::move(*again);
  EXPECT_EQ(repo_->last_write_seq(), 2u);
  // A tie with a row from before the restart still goes to the newer write.
  Write("profile", {Row(int64_t{1}, T0, {int64_t{7}, Value(), Value()})});
  EXPECT_EQ(repo_->last_write_seq(), 3u);
  EXPECT_EQ(Read("profile", "age", {int64_t{1}}), std::vector<Value>{int64_t{7}});
}

// Every scalar type through the read path, with nulls across bitmap byte boundaries.
TEST(OnlineScalarTypesTest, EveryScalarTypeReadsBackWithNulls) {
  TempDir dir;
  auto repo = MakeRepo(dir, "entities:\n  user: {key: user_id}\nfeature_groups:\n  g:\n    entity: user\n    features: "
                            "{b: bool, i: int32, l: int64, f: float32, d: float64, s: string, y: bytes, t: timestamp}\n");
  const auto& g = **repo->FindGroup("g");
  std::vector<FeatureRow> rows;
  std::vector<Value> keys;
  for (int64_t k = 0; k < 37; ++k) {
    keys.push_back(k);
    if (k % 5 == 3) continue;  // unknown keys interleaved
    const bool null = k % 3 == 0;
    auto v = [&](Value x) { return null ? Value() : x; };
    rows.push_back(Row(k, NowMicros() - kSec, {v(k % 2 == 0), v(k - 20), v(k << 40), v(k * 0.25), v(k * 0.125),
                                               v(std::string(k, 'x')), v(std::string("\0b", 2)), v(int64_t{1777636800000000} + k)}));
  }
  ASSERT_TRUE(repo->Write(g, rows).ok());
  auto cols = repo->Read(g, keys, *repo->SelectFeatures(g, {}));
  ASSERT_TRUE(cols.ok());
  for (int64_t k = 0; k < 37; ++k) {
    const bool null = k % 5 == 3 || k % 3 == 0;
    for (int c = 0; c < 8; ++c) ASSERT_EQ((*cols)[c]->IsNull(k), null) << "key " << k << " column " << c;
    if (null) continue;
    EXPECT_EQ(static_cast<const arrow::BooleanArray&>(*(*cols)[0]).Value(k), k % 2 == 0);
    EXPECT_EQ(Cell(*(*cols)[1], k), Value(k - 20));
    EXPECT_EQ(Cell(*(*cols)[2], k), Value(k << 40));
    EXPECT_EQ(Cell(*(*cols)[3], k), Value(k * 0.25));
    EXPECT_EQ(Cell(*(*cols)[4], k), Value(k * 0.125));
    EXPECT_EQ(Cell(*(*cols)[5], k), Value(std::string(k, 'x')));
    EXPECT_EQ(static_cast<const arrow::BinaryArray&>(*(*cols)[6]).GetView(k), std::string_view("\0b", 2));
    EXPECT_EQ(static_cast<const arrow::TimestampArray&>(*(*cols)[7]).Value(k), 1777636800000000 + k);
  }
  for (int c = 0; c < 8; ++c) EXPECT_TRUE((*cols)[c]->ValidateFull().ok()) << c;
  EXPECT_EQ((*cols)[7]->type()->ToString(), "timestamp[us, tz=UTC]");
  // The first null after more than a byte of valid rows, and a column with no null at all.
  std::vector<Value> later = {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{5}, int64_t{7}, int64_t{10}, int64_t{11},
                              int64_t{14}, int64_t{16}, int64_t{17}, int64_t{3}, int64_t{19}};
  auto cols2 = repo->Read(g, later, *repo->SelectFeatures(g, {}));
  ASSERT_TRUE(cols2.ok());
  for (int c = 0; c < 8; ++c) {
    EXPECT_TRUE((*cols2)[c]->ValidateFull().ok()) << c;
    EXPECT_EQ((*cols2)[c]->null_count(), 1) << c;
    for (int64_t i = 0; i < 12; ++i) EXPECT_EQ((*cols2)[c]->IsNull(i), i == 10) << c << " " << i;
  }
  auto no_nulls = repo->Read(g, std::vector<Value>{int64_t{1}, int64_t{2}}, *repo->SelectFeatures(g, {}));
  ASSERT_TRUE(no_nulls.ok());
  EXPECT_EQ((*no_nulls)[1]->null_count(), 0);
  EXPECT_EQ(Cell(*(*no_nulls)[1], 1), Value(int64_t{-18}));
}

// The rows compaction reclaims have died since they were written (a write does not store new
// history rows that are dead already): here the history window shrinks from 3h to 1h.
TEST(OnlineCompactionTest, CompactionFilterReclaimsExpiredRowsOnly) {
  TempDir dir;
  const std::string body = R"(entities:
  user: {key: user_id}
feature_groups:
  short:
    entity: user
    ttl: 1h
    history: 0
    features: {x: int64}
  keep:
    entity: user
    history: HISTORY
    features: {x: int64}
)";
  auto with_history = [&](const std::string& h) { return std::regex_replace(body, std::regex("HISTORY"), h); };
  auto repo = MakeRepo(dir, with_history("3h"));
  const int64_t now = NowMicros();
  const auto& s = **repo->FindGroup("short");
  const auto& k = **repo->FindGroup("keep");
  // short: 100 keys expired two hours ago, 50 live.
  std::vector<FeatureRow> rows;
  for (int64_t i = 0; i < 150; ++i) rows.push_back(Row(i, i < 100 ? now - 3 * 3600 * kSec : now - 60 * kSec, {i}));
  ASSERT_TRUE(repo->Write(s, rows).ok());
  // keep: each key has a row superseded 2h ago (reclaimable), one superseded 10m ago (needed), and a latest.
  rows.clear();
  for (int64_t i = 0; i < 20; ++i) {
    rows.push_back(Row(i, now - 5 * 3600 * kSec, {int64_t{1}}));
    rows.push_back(Row(i, now - 2 * 3600 * kSec, {int64_t{2}}));
    rows.push_back(Row(i, now - 600 * kSec, {int64_t{3}}));
  }
  ASSERT_TRUE(repo->Write(k, rows).ok());
  auto before = repo->online().Stats();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->latest_entries, 170u);
  EXPECT_EQ(before->history_entries, 40u);
  repo.reset();
  testing::WriteText(dir.path() / "strata.yaml", "project: test\n" + with_history("1h"));
  ASSERT_TRUE(FeatureRepository::Apply(dir.str()).ok());
  auto reopened = FeatureRepository::Open(dir.str());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  repo = std::move(*reopened);
  const auto& k1 = **repo->FindGroup("keep");
  ASSERT_TRUE(repo->online().Compact().ok());
  auto after = repo->online().Stats();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->latest_entries, 70u);   // 50 live short rows + 20 keep rows
  EXPECT_EQ(after->history_entries, 20u);  // only rows some read inside the 1h window can see
  // Reads inside the window are unchanged by compaction.
  auto cols = repo->Read(k1, std::vector<Value>{int64_t{0}}, {&k1.features[0]}, now - 3599 * kSec);
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  EXPECT_EQ(Cell(*(*cols)[0], 0), Value(int64_t{2}));
}

// A backfill's superseded rows that no read inside the history window can see are not stored
// (compaction would only drop them); late rows still find their neighbours, and every read
// inside the window answers as before.
TEST_P(OnlineTableTest, HistoryRowsNoReadCanSeeAreNotStored) {
  TempDir dir;
  auto repo = MakeRepo(dir,
                       OnlineLine(GetParam()) + "entities:\n  user: {key: user_id}\nfeature_groups:\n  g:\n    entity: user\n"
                                                "    history: 1h\n    features: {x: int64}\n",
                       OptionsFor(GetParam()));
  const auto& g = **repo->FindGroup("g");
  const int64_t now = NowMicros();
  const int64_t h = 3600 * kSec;
  auto write = [&](std::vector<FeatureRow> rows) { ASSERT_TRUE(repo->Write(g, rows).ok()); };
  auto read = [&](int64_t as_of) {
    auto cols = repo->Read(g, std::vector<Value>{int64_t{1}}, {&g.features[0]}, as_of);
    EXPECT_TRUE(cols.ok()) << cols.status().ToString();
    return cols.ok() ? Cell(*(*cols)[0], 0) : Value();
  };
  auto history = [&] { return repo->online().Stats()->history_entries; };
  // Superseded 2h ago (dead), superseded 10 minutes ago (live), and the latest.
  write({Row(int64_t{1}, now - 5 * h, {int64_t{5}}), Row(int64_t{1}, now - 2 * h, {int64_t{2}}),
         Row(int64_t{1}, now - 600 * kSec, {int64_t{0}})});
  EXPECT_EQ(history(), 1u);
  EXPECT_EQ(read(now - h + kSec), Value(int64_t{2}));
  EXPECT_EQ(read(now), Value(int64_t{0}));
  // A late row older than the window's view: superseded by the 2h-old row, dead, not stored.
  write({Row(int64_t{1}, now - 4 * h, {int64_t{4}})});
  EXPECT_EQ(history(), 1u);
  EXPECT_EQ(read(now - h + kSec), Value(int64_t{2}));
  // A late row inside the window: stored, and the 2h-old row it supersedes is rewritten.
  write({Row(int64_t{1}, now - 1800 * kSec, {int64_t{3}})});
  EXPECT_EQ(history(), 2u);
  EXPECT_EQ(read(now - 2400 * kSec), Value(int64_t{2}));
  EXPECT_EQ(read(now - 1200 * kSec), Value(int64_t{3}));
  EXPECT_EQ(read(now), Value(int64_t{0}));
  // A newer row in a later batch: the latest moves to history (superseded now: live).
  write({Row(int64_t{1}, now - kSec, {int64_t{9}})});
  EXPECT_EQ(history(), 3u);
  EXPECT_EQ(read(now - 300 * kSec), Value(int64_t{0}));
  EXPECT_EQ(read(now), Value(int64_t{9}));
}

TEST(OnlineEvolutionTest, ReadsOldRowsAfterSchemaEvolution) {
  TempDir dir;
  auto repo = MakeRepo(dir, "entities:\n  user: {key: user_id}\nfeature_groups:\n  g:\n    entity: user\n"
                            "    features: {a: int32, b: float32, c: string}\n");
  const int64_t t = NowMicros() - kSec;
  ASSERT_TRUE(repo->Write(**repo->FindGroup("g"), std::vector<FeatureRow>{Row(int64_t{1}, t, {int64_t{-3}, 0.25, std::string("x")})}).ok());
  repo.reset();
  testing::WriteText(dir.path() / "strata.yaml", "project: test\nentities:\n  user: {key: user_id}\nfeature_groups:\n  g:\n"
                                                 "    entity: user\n    features: {a: int64, b: float64, d: bool}\n");
  ASSERT_TRUE(FeatureRepository::Apply(dir.str()).ok());
  auto reopened = FeatureRepository::Open(dir.str());
  ASSERT_TRUE(reopened.ok());
  const auto& g = **(*reopened)->FindGroup("g");
  auto cols = (*reopened)->Read(g, std::vector<Value>{int64_t{1}}, *(*reopened)->SelectFeatures(g, {}));
  ASSERT_TRUE(cols.ok());
  EXPECT_EQ((*cols)[0]->type()->id(), arrow::Type::INT64);
  EXPECT_EQ(Cell(*(*cols)[0], 0), Value(int64_t{-3}));
  EXPECT_EQ(Cell(*(*cols)[1], 0), Value(0.25));
  EXPECT_TRUE((*cols)[2]->IsNull(0));
}

// Reads fill columns from a mask of the fields a row had for up to 64 requested features and
// from a vector beyond: both must place every value, and a null for every field the row lacks.
TEST(OnlineWideRowTest, RowsOfMoreThanSixtyFourFeaturesReadBackWithTheirNulls) {
  constexpr int kFeatures = 70;
  std::string features;
  for (int f = 0; f < kFeatures; ++f) features += (f ? ", f" : "f") + std::to_string(f) + ": int64";
  TempDir dir;
  auto repo = MakeRepo(dir, "entities:\n  user: {key: user_id}\nfeature_groups:\n  wide:\n    entity: user\n    features: {" +
                                features + "}\n  events:\n    entity: user\n    kind: sequence\n    max_length: 10\n    features: {" +
                                features + "}\n");
  ASSERT_TRUE(repo);
  const int64_t t = NowMicros() - kSec;
  // Key k: feature f is null when (f + k) % 3 == 0, else k * 1000 + f.
  auto value = [](int64_t k, int f) { return (f + k) % 3 == 0 ? Value() : Value(k * 1000 + f); };
  std::vector<FeatureRow> rows;
  for (int64_t k = 0; k < 3; ++k) {
    std::vector<Value> v;
    for (int f = 0; f < kFeatures; ++f) v.push_back(value(k, f));
    rows.push_back(Row(k, t, v));
  }
  for (const char* group : {"wide", "events"}) {
    const auto& g = **repo->FindGroup(group);
    ASSERT_TRUE(repo->Write(g, rows).ok());
    // All 70 features in reverse order (the vector path), then 10 of them (the mask path).
    std::vector<std::string> all, some;
    for (int f = kFeatures - 1; f >= 0; --f) all.push_back("f" + std::to_string(f));
    for (int f = 5; f < 65; f += 6) some.push_back("f" + std::to_string(f));
    for (const auto& names : {all, some}) {
      auto fs = repo->SelectFeatures(g, names);
      ASSERT_TRUE(fs.ok());
      auto cols = repo->Read(g, std::vector<Value>{int64_t{0}, int64_t{9}, int64_t{1}, int64_t{2}}, *fs);
      ASSERT_TRUE(cols.ok()) << cols.status().ToString();
      ASSERT_EQ(cols->size(), names.size());
      for (size_t c = 0; c < names.size(); ++c) {
        const int f = std::stoi(names[c].substr(1));
        ASSERT_TRUE((*cols)[c]->ValidateFull().ok());
        for (int64_t i = 0; i < 4; ++i) {
          const int64_t k = i == 0 ? 0 : i == 1 ? 9 : i - 1;
          SCOPED_TRACE(std::string(group) + " " + names[c] + " key " + std::to_string(k));
          if (g.kind == GroupKind::kSequence) {
            auto cell = testing::ListCell(*(*cols)[c], i);
            if (k == 9) EXPECT_FALSE(cell);
            else EXPECT_EQ(cell, std::optional<std::vector<Value>>(std::vector<Value>{value(k, f)}));
          } else {
            EXPECT_EQ(Cell(*(*cols)[c], i), k == 9 ? Value() : value(k, f));
          }
        }
      }
    }
  }
}

TEST(OnlineEmbeddingTest, QuantizedEmbeddingsReadBackAsFloat32) {
  TempDir dir;
  auto repo = MakeRepo(dir, "entities:\n  item: {key: item_id}\nfeature_groups:\n  emb:\n    entity: item\n    features:\n"
                            "      q8: {type: \"vector<float32,64>\", quantization: int8}\n"
                            "      h: {type: \"vector<float32,64>\", quantization: float16}\n"
                            "      f: \"vector<float32,64>\"\n");
  const auto& g = **repo->FindGroup("emb");
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<FeatureRow> rows;
  std::vector<std::vector<float>> truth;
  for (int64_t i = 0; i < 200; ++i) {
    std::vector<float> v(64);
    double n = 0;
    for (auto& x : v) {
      x = normal(rng);
      n += x * x;
    }
    for (auto& x : v) x = static_cast<float>(x / std::sqrt(n));
    truth.push_back(v);
    rows.push_back(Row(i, NowMicros() - kSec, {v, v, v}));
  }
  ASSERT_TRUE(repo->Write(g, rows).ok());
  std::vector<Value> keys;
  for (int64_t i = 0; i < 200; ++i) keys.push_back(i);
  auto cols = repo->Read(g, keys, *repo->SelectFeatures(g, {}));
  ASSERT_TRUE(cols.ok());
  double worst[3] = {1, 1, 1};
  for (int c = 0; c < 3; ++c) {
    const auto& fl = static_cast<const arrow::FixedSizeListArray&>(*(*cols)[c]);
    ASSERT_EQ(fl.value_length(), 64);
    const auto& vals = static_cast<const arrow::FloatArray&>(*fl.values());
    for (int64_t i = 0; i < 200; ++i) {
      double dot = 0, nb = 0;
      for (int d = 0; d < 64; ++d) {
        const float b = vals.Value(fl.value_offset(i) + d);
        dot += truth[i][d] * b;
        nb += b * b;
      }
      worst[c] = std::min(worst[c], dot / std::sqrt(nb));
    }
  }
  std::printf("worst cosine after store round trip: int8 %.6f float16 %.8f none %.8f\n", worst[0], worst[1], worst[2]);
  EXPECT_GE(worst[0], 0.999);
  EXPECT_GE(worst[1], 0.99999);
  EXPECT_GE(worst[2], 0.9999999);
}

// One writer replaces every key's value in each batch; readers must never see two values.
TEST(OnlineConcurrencyTest, ReadersNeverSeeAHalfAppliedBatch) {
  TempDir dir;
  auto repo = MakeRepo(dir, "online: {backend: rocksdb, path: .strata/online, sync: false}\n"
                            "entities:\n  user: {key: user_id}\nfeature_groups:\n  g:\n    entity: user\n    features: {v: int64}\n");
  const auto& g = **repo->FindGroup("g");
  testing::ExpectNoTornReads(*repo, g, 500, 200, [&](const std::vector<Value>& keys) -> std::optional<std::vector<Value>> {
    auto cols = repo->Read(g, keys, {&g.features[0]});
    if (!cols.ok()) return std::nullopt;
    std::vector<Value> out;
    for (int64_t i = 0; i < (*cols)[0]->length(); ++i) out.push_back(Cell(*(*cols)[0], i));
    return out;
  });
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// The latest-row cache in front of RocksDB: a read right after any write sees it, and a
// request never sees half of a write batch, while reads hit the cache.
TEST_P(OnlineTableTest, LatestRowCacheNeverServesAStaleOrTornState) {
  Write("profile", {Row(int64_t{1}, T0, {int64_t{30}, std::string("DE"), 0.5})});
  EXPECT_EQ(Read("profile", "age", {int64_t{1}})[0], Value(int64_t{30}));  // cached now
  EXPECT_EQ(Read("profile", "age", {int64_t{1}})[0], Value(int64_t{30}));
  Write("profile", {Row(int64_t{1}, T0 + kSec, {int64_t{31}, std::string("DE"), 0.5})});
  EXPECT_EQ(Read("profile", "age", {int64_t{1}})[0], Value(int64_t{31}));
  Write("profile", {Row(int64_t{1}, T0 - kSec, {int64_t{29}, std::string("DE"), 0.5})});  // late: rule 2
  EXPECT_EQ(Read("profile", "age", {int64_t{1}})[0], Value(int64_t{31}));
  EXPECT_EQ(Read("profile", "age", {int64_t{1}}, T0 + kSec / 2)[0], Value(int64_t{30}));  // history

  // Each batch writes the same age to keys 1..4; readers must never see two ages at once.
  auto batch_of = [&](int v) {
    std::vector<FeatureRow> batch;
    for (int64_t k = 1; k <= 4; ++k) batch.push_back(Row(k, T0 + v * kSec, {int64_t{v}, std::string("X"), 1.0}));
    return batch;
  };
  Write("profile", batch_of(100));
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0};
  std::vector<std::thread> readers;
  const FeatureGroupDef& g = G("profile");
  auto fs = *repo_->SelectFeatures(g, {"age"});
  for (int t = 0; t < 2; ++t)
    readers.emplace_back([&] {
      const std::vector<Value> keys = {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}};
      while (!stop) {
        auto cols = repo_->Read(g, keys, fs);
        if (!cols.ok()) continue;
        ++reads;
        for (int64_t i = 1; i < 4; ++i)
          if (Cell(*(*cols)[0], i) != Cell(*(*cols)[0], 0)) {
            if (torn++ == 0) ADD_FAILURE() << "torn read: " << (*cols)[0]->ToString();
          }
      }
    });
  for (int v = 101; v < 160; ++v) Write("profile", batch_of(v));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(Read("profile", "age", {int64_t{4}})[0], Value(int64_t{159}));
}

}  // namespace
}  // namespace strata
