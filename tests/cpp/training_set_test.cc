// Point-in-time training sets checked cell by cell against a brute-force reference written
// here from rules 1-7 of DESIGN.md, on random and adversarial data (ties across ingests,
// events exactly at t, TTL edges, out-of-order ingestion, unknown and null keys, nulls in
// winning rows), in memory and partitioned with spills.

#include <arrow/api.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <map>
#include <random>

#include "strata/core/quantization.h"
#include "strata/core/time.h"
#include "strata/offline/offline_store.h"
#include "strata/training/training_set.h"
#include "test_repo.h"

namespace strata::training {
namespace {

using strata::testing::Cell;
using strata::testing::ListCell;
using strata::testing::MakeRepo;
using strata::testing::TempDir;

constexpr char kDefinitions[] = R"(
entities:
  user: {key: user_id, type: int64}
  item: {key: item_id, type: string}
feature_groups:
  profile:
    entity: user
    ttl: 10s
    features: {a: int64, b: string, c: float64}
  stats:
    entity: item
    features: {x: int32}
  clicks:
    entity: user
    kind: sequence
    max_length: 5
    retention: 20s
    features: {item: int64, w: float32}
  emb:
    entity: item
    features:
      vec: {type: "vector<float32,4>", quantization: int8}
)";

constexpr int64_t kBase = 1'777'600'000'000'000;  // 2026-05-01
constexpr int64_t kSecond = 1'000'000;

struct Stored {
  Value key;
  int64_t time;
  uint64_t seq;
  std::vector<Value> features;
};

// What the test wrote, per group: the reference's only input.
using History = std::map<std::string, std::vector<Stored>>;

Value Brute(const std::vector<Stored>& rows, const FeatureGroupDef& g, size_t feature, const Value& key, int64_t t) {
  if (IsNull(key)) return Value();
  const Stored* best = nullptr;
  for (const auto& r : rows) {
    if (r.key != key || r.time > t) continue;
    if (!best || std::tie(r.time, r.seq) > std::tie(best->time, best->seq)) best = &r;
  }
  if (!best || (g.ttl && t - best->time > *g.ttl)) return Value();
  return best->features[feature];
}

std::optional<std::vector<Value>> BruteSequence(const std::vector<Stored>& rows, const FeatureGroupDef& g, size_t feature,
                                                const Value& key, int64_t t, int n) {
  if (IsNull(key)) return std::nullopt;
  std::vector<const Stored*> visible;
  for (const auto& r : rows)
    if (r.key == key && r.time <= t && (!g.retention || t - r.time <= *g.retention)) visible.push_back(&r);
  if (visible.empty()) return std::nullopt;
  std::sort(visible.begin(), visible.end(),
            [](const Stored* a, const Stored* b) { return std::tie(a->time, a->seq) > std::tie(b->time, b->seq); });
  std::vector<Value> out;
  for (int i = 0; i < n && i < static_cast<int>(visible.size()); ++i) {
    Value v = visible[i]->features[feature];
    if (auto* d = std::get_if<double>(&v)) v = double{static_cast<float>(*d)};  // float32 storage
    out.push_back(v);
  }
  return out;
}

class TrainingSetTest : public ::testing::Test {
 protected:
  void SetUp() override { repo_ = MakeRepo(dir_, kDefinitions); }

  const FeatureGroupDef& Group(const std::string& name) { return **repo_->FindGroup(name); }

  // Writes `rows` in one ingest and records them with their write_seq.
  void Write(const std::string& group, const std::vector<FeatureRow>& rows) {
    auto last = repo_->Write(Group(group), rows);
    ASSERT_TRUE(last.ok()) << last.status().ToString();
    uint64_t seq = *last - rows.size() + 1;
    for (const auto& r : rows) history_[group].push_back({r.key, r.event_time, seq++, r.features});
  }

  std::shared_ptr<arrow::Table> Build(const std::shared_ptr<arrow::Table>& spine, const std::string& refs,
                                      TrainingSetOptions options = {}, TrainingSetStats* stats = nullptr) {
    auto requests = ResolveFeatureRefs(repo_->definition(), refs);
    EXPECT_TRUE(requests.ok()) << requests.status().ToString();
    if (!requests.ok()) return nullptr;
    auto reader = BuildTrainingSet(*repo_, SpineSource::FromTable(spine), *requests, options, stats);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return nullptr;
    auto table = (*reader)->ToTable();
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    return table.ok() ? (*table)->CombineChunks().ValueOrDie() : nullptr;
  }

  Status BuildError(const std::shared_ptr<arrow::Table>& spine, const std::string& refs, TrainingSetOptions options = {}) {
    auto requests = ResolveFeatureRefs(repo_->definition(), refs);
    if (!requests.ok()) return requests.status();
    auto reader = BuildTrainingSet(*repo_, SpineSource::FromTable(spine), *requests, options);
    return reader.ok() ? Status::OK() : reader.status();
  }

  TempDir dir_;
  std::unique_ptr<FeatureRepository> repo_;
  History history_;
};

struct SpineRows {
  std::vector<std::optional<int64_t>> users;
  std::vector<std::optional<std::string>> items;
  std::vector<int64_t> times;
  std::shared_ptr<arrow::Table> Table() const {
    arrow::Int64Builder u, label;
    arrow::StringBuilder it;
    arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), arrow::default_memory_pool());
    for (size_t i = 0; i < times.size(); ++i) {
      (void)(users[i] ? u.Append(*users[i]) : u.AppendNull());
      (void)(items[i] ? it.Append(*items[i]) : it.AppendNull());
      (void)ts.Append(times[i]);
      (void)label.Append(static_cast<int64_t>(i));
    }
    auto schema = arrow::schema({arrow::field("user_id", arrow::int64()), arrow::field("item_id", arrow::utf8()),
                                 arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
                                 arrow::field("label", arrow::int64())});
    return arrow::Table::Make(schema, {u.Finish().ValueOrDie(), it.Finish().ValueOrDie(), ts.Finish().ValueOrDie(),
                                       label.Finish().ValueOrDie()});
  }
};

TEST_F(TrainingSetTest, MatchesBruteForceOnRandomAndAdversarialData) {
  for (uint32_t seed = 0; seed < 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TempDir dir;
    repo_ = MakeRepo(dir, kDefinitions);
    history_.clear();
    std::mt19937_64 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    auto time = [&] { return kBase + pick(40) * kSecond; };  // a coarse grid: many ties
    // Several ingests per group, each in random time order (late and out-of-order events).
    for (int ingest = 0; ingest < 4; ++ingest) {
      std::vector<FeatureRow> profile, stats, clicks, emb;
      for (int i = 0; i < 60; ++i) {
        profile.push_back({int64_t{pick(12)}, time(),
                           {pick(5) ? Value(int64_t{pick(1000)}) : Value(), pick(4) ? Value("s" + std::to_string(pick(9))) : Value(),
                            pick(6) ? Value(pick(100) / 7.0) : Value()}});
        stats.push_back({"i" + std::to_string(pick(8)), time(), {pick(5) ? Value(int64_t{pick(50)}) : Value()}});
        clicks.push_back({int64_t{pick(12)}, time(), {Value(int64_t{pick(100)}), pick(5) ? Value(pick(100) / 4.0) : Value()}});
        std::vector<float> v(4);
        for (float& f : v) f = static_cast<float>(pick(2000) - 1000) / 37.0f;
        emb.push_back({"i" + std::to_string(pick(8)), time(), {pick(7) ? Value(v) : Value()}});
      }
      Write("profile", profile);
      Write("stats", stats);
      Write("clicks", clicks);
      Write("emb", emb);
    }
    SpineRows spine;
    for (int i = 0; i < 400; ++i) {
      spine.users.push_back(pick(15) ? std::optional<int64_t>(pick(14)) : std::nullopt);  // 12, 13: unknown
      spine.items.push_back(pick(15) ? std::optional<std::string>("i" + std::to_string(pick(10))) : std::nullopt);
      int64_t t = time() + (pick(3) - 1);  // exactly at an event time, or 1 us either side
      if (pick(4) == 0) {
        const auto& rows = history_["profile"];
        t = rows[pick(static_cast<int>(rows.size()))].time + 10 * kSecond + pick(2);  // the TTL edge and 1 us past it
      }
      spine.times.push_back(t);
    }
    // Duplicated spine rows stay duplicated.
    spine.users.push_back(spine.users[0]);
    spine.items.push_back(spine.items[0]);
    spine.times.push_back(spine.times[0]);
    const auto table = spine.Table();
    const std::string refs = "profile:*,stats:x,clicks:item@3,clicks:w,emb:vec";
    for (int partitions : {1, 3}) {
      SCOPED_TRACE("partitions " + std::to_string(partitions));
      TrainingSetOptions options;
      options.partitions = partitions;
      if (partitions > 1) options.memory_limit = 64 << 10;  // spill everything
      TrainingSetStats stats;
      auto out = Build(table, refs, options, &stats);
      ASSERT_TRUE(out);
      if (partitions > 1) {
        EXPECT_GT(stats.spilled_bytes, 0);
      }
      ASSERT_EQ(out->num_rows(), table->num_rows());
      ASSERT_EQ(out->schema()->field_names(),
                (std::vector<std::string>{"user_id", "item_id", "ts", "label", "profile__a", "profile__b", "profile__c",
                                          "stats__x", "clicks__item", "clicks__w", "emb__vec"}));
      for (int64_t i = 0; i < out->num_rows(); ++i) {
        SCOPED_TRACE("spine row " + std::to_string(i));
        const Value user = spine.users[i] ? Value(*spine.users[i]) : Value();
        const Value item = spine.items[i] ? Value(*spine.items[i]) : Value();
        const int64_t t = spine.times[i];
        ASSERT_EQ(Cell(*out->column(3)->chunk(0), i), Value(int64_t{i < 400 ? i : 400}));
        for (int f = 0; f < 3; ++f) {
          Value want = Brute(history_["profile"], Group("profile"), f, user, t);
          ASSERT_EQ(Cell(*out->column(4 + f)->chunk(0), i), want) << "profile feature " << f;
        }
        ASSERT_EQ(Cell(*out->column(7)->chunk(0), i), Brute(history_["stats"], Group("stats"), 0, item, t));
        ASSERT_EQ(ListCell(*out->column(8)->chunk(0), i), BruteSequence(history_["clicks"], Group("clicks"), 0, user, t, 3));
        ASSERT_EQ(ListCell(*out->column(9)->chunk(0), i), BruteSequence(history_["clicks"], Group("clicks"), 1, user, t, 5));
        const Value vec = Brute(history_["emb"], Group("emb"), 0, item, t);
        const auto& got = static_cast<const arrow::FixedSizeListArray&>(*out->column(10)->chunk(0));
        ASSERT_EQ(got.IsNull(i), IsNull(vec));
        if (!IsNull(vec)) {
          std::vector<float> x = std::get<std::vector<float>>(vec);
          std::vector<int8_t> q(4);
          const float scale = QuantizeInt8(x.data(), 4, q.data());
          const auto& values = static_cast<const arrow::FloatArray&>(*got.values());
          for (int k = 0; k < 4; ++k) ASSERT_EQ(values.Value(got.value_offset(i) + k), DequantizeInt8(q[k], scale));
        }
      }
    }
  }
}

TEST_F(TrainingSetTest, RejectsBadInputBeforeAnyWork) {
  Write("profile", {{int64_t{1}, kBase, {Value(int64_t{1}), Value(), Value()}}});
  SpineRows s;
  s.users = {1};
  s.items = {"i1"};
  s.times = {kBase};
  auto spine = s.Table();
  auto message = [&](const std::shared_ptr<arrow::Table>& t, const std::string& refs, TrainingSetOptions o = {}) {
    return BuildError(t, refs, o).message();
  };
  EXPECT_NE(message(spine, "nope:a").find("no feature group 'nope'"), std::string::npos);
  EXPECT_NE(message(spine, "profile:zz").find("has no feature 'zz'"), std::string::npos);
  EXPECT_NE(message(spine, "profile:a@3").find("@N applies to sequence groups"), std::string::npos);
  EXPECT_NE(message(spine, "clicks:item@9").find("exceeds the max_length 5"), std::string::npos);
  EXPECT_NE(message(spine, "profile:a,profile:a").find("asked for twice"), std::string::npos);
  TrainingSetOptions other_ts;
  other_ts.timestamp_column = "when";
  EXPECT_NE(message(spine, "profile:a", other_ts).find("no timestamp column 'when'"), std::string::npos);
  auto no_user = spine->RemoveColumn(0).ValueOrDie();
  EXPECT_NE(message(no_user, "profile:a").find("no key column 'user_id' for entity user"), std::string::npos);
  // item_id is a string key: an int64 column is the wrong type.
  auto wrong = spine->SetColumn(1, arrow::field("item_id", arrow::int64()),
                                std::make_shared<arrow::ChunkedArray>(spine->column(0)->chunks()))
                   .ValueOrDie();
  EXPECT_NE(message(wrong, "stats:x").find("spine key column 'item_id' has type int64"), std::string::npos);
  arrow::TimestampBuilder tb(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), arrow::default_memory_pool());
  (void)tb.AppendNull();
  auto null_ts = spine->SetColumn(2, spine->schema()->field(2), std::make_shared<arrow::ChunkedArray>(tb.Finish().ValueOrDie()))
                     .ValueOrDie();
  EXPECT_NE(message(null_ts, "profile:a").find("is null at row 1"), std::string::npos);
  auto clash = spine->RenameColumns({"user_id", "item_id", "ts", "profile__a"}).ValueOrDie();
  EXPECT_NE(message(clash, "profile:a").find("has the name of an output feature column"), std::string::npos);
  EXPECT_FALSE(SpineSource::FromFile("/nonexistent.parquet").ok());
  EXPECT_FALSE(SpineSource::FromFile(dir_.str() + "/strata.yaml").ok());  // unknown extension
}

TEST_F(TrainingSetTest, EmptySpineAndEmptyTables) {
  SpineRows s;
  auto out = Build(s.Table(), "profile:*,clicks:item");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->num_rows(), 0);
  EXPECT_EQ(out->num_columns(), 4 + 3 + 1);
  s.users = {1, std::nullopt};
  s.items = {"i1", "i2"};
  s.times = {kBase, kBase};
  out = Build(s.Table(), "profile:*,clicks:item,emb:vec");  // nothing ingested yet
  ASSERT_TRUE(out);
  ASSERT_EQ(out->num_rows(), 2);
  for (int c = 4; c < out->num_columns(); ++c) EXPECT_EQ(out->column(c)->null_count(), 2);
}

TEST_F(TrainingSetTest, ReadsAnOlderSnapshot) {
  Write("profile", {{int64_t{1}, kBase, {Value(int64_t{1}), Value(), Value()}}});
  Write("profile", {{int64_t{1}, kBase + kSecond, {Value(int64_t{2}), Value(), Value()}}});
  auto offline = repo_->offline();
  ASSERT_TRUE(offline.ok());
  auto table = (*offline)->GetTable(repo_->EntityOf(Group("profile")), Group("profile"));
  ASSERT_TRUE(table.ok());
  const auto snapshots = (*table)->Snapshots();
  ASSERT_EQ(snapshots.size(), 2u);
  SpineRows s;
  s.users = {1};
  s.items = {"i1"};
  s.times = {kBase + 5 * kSecond};
  TrainingSetOptions options;
  options.snapshot = std::to_string(snapshots[0].id);
  auto out = Build(s.Table(), "profile:a", options);
  ASSERT_TRUE(out);
  EXPECT_EQ(Cell(*out->column(4)->chunk(0), 0), Value(int64_t{1}));
  options.snapshot = "profile=" + std::to_string(snapshots[1].id);
  out = Build(s.Table(), "profile:a", options);
  ASSERT_TRUE(out);
  EXPECT_EQ(Cell(*out->column(4)->chunk(0), 0), Value(int64_t{2}));
  options.snapshot = "12345";
  EXPECT_NE(BuildError(s.Table(), "profile:a", options).message().find("is not a snapshot"), std::string::npos);
}

TEST_F(TrainingSetTest, ReaderOutlivesTheRepository) {
  Write("profile", {{int64_t{1}, kBase, {Value(int64_t{7}), Value(), Value()}}});
  SpineRows s;
  s.users = {1, 2};
  s.items = {"i1", "i2"};
  s.times = {kBase, kBase};
  auto requests = ResolveFeatureRefs(repo_->definition(), "profile:a");
  ASSERT_TRUE(requests.ok());
  TrainingSetOptions options;
  options.partitions = 2;
  auto reader = BuildTrainingSet(*repo_, SpineSource::FromTable(s.Table()), *requests, options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  repo_.reset();  // e.g. Python hands the stream out after closing the repository
  auto table = (*reader)->ToTable();
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto combined = (*table)->CombineChunks().ValueOrDie();
  EXPECT_EQ(Cell(*combined->column(4)->chunk(0), 0), Value(int64_t{7}));
  EXPECT_EQ(Cell(*combined->column(4)->chunk(0), 1), Value());
}

TEST_F(TrainingSetTest, LargeInputSpillsAndMatchesInMemory) {
  std::mt19937_64 rng(7);
  std::vector<FeatureRow> rows;
  for (int i = 0; i < 200'000; ++i)
    rows.push_back({int64_t(rng() % 20'000), kBase + int64_t(rng() % 100'000) * 1000,
                    {Value(int64_t(i)), Value("v" + std::to_string(i % 97)), Value(double(i))}});
  Write("profile", rows);
  SpineRows s;
  for (int i = 0; i < 100'000; ++i) {
    s.users.push_back(int64_t(rng() % 21'000));
    s.items.push_back(std::nullopt);
    s.times.push_back(kBase + int64_t(rng() % 110'000) * 1000);
  }
  auto spine = s.Table();
  auto in_memory = Build(spine, "profile:*");
  TrainingSetOptions small;
  small.memory_limit = 4 << 20;
  TrainingSetStats stats;
  auto spilled = Build(spine, "profile:*", small, &stats);
  ASSERT_TRUE(in_memory && spilled);
  EXPECT_GT(stats.partitions, 1);
  EXPECT_GT(stats.spilled_bytes, 0);
  EXPECT_TRUE(in_memory->Equals(*spilled));
  // More spilled partitions than a process may hold files open: spills close their files.
  TrainingSetOptions many = small;
  many.partitions = 1500;
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_cur, 512);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  auto spread = Build(spine, "profile:*", many, &stats);
  setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_TRUE(spread);
  EXPECT_GT(stats.spilled_bytes, 0);
  EXPECT_TRUE(in_memory->Equals(*spread));
  EXPECT_GT(in_memory->num_rows() - in_memory->column(4)->null_count(), 50'000);  // most rows found a value
}

}  // namespace
}  // namespace strata::training
