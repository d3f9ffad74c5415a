// Large writes of write-only processes (`strata ingest`, `strata stream`) go into RocksDB as SST
// files ingested in one step (online.bulk_load_rows), not through the log and memtables. They
// must read exactly as the same rows written the usual way: table groups with history (late
// rows, ties, rows beyond the window), string keys of varying length, sequence groups, the
// metadata and write_seq recorded with each write, a small (logged) write between bulk ones,
// and after a restart (nothing of them is in the log) and a compaction.

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "strata/core/time.h"
#include "test_repo.h"

namespace strata {
namespace {

using testing::MakeRepo;
using testing::Row;
using testing::TempDir;

constexpr int64_t kSec = kMicrosPerSecond;

const char* kGroups =
    "entities:\n  user: {key: user_id}\n  doc: {key: doc_id, type: string}\n"
    "feature_groups:\n"
    "  u:\n    entity: user\n    history: 1h\n    features: {v: int64, w: float64}\n"
    "  d:\n    entity: doc\n    history: 1h\n    features: {v: int64}\n"
    "  s:\n    entity: user\n    kind: sequence\n    max_length: 4\n    history: 1h\n    features: {v: int64}\n";

std::string Yaml(int64_t bulk_load_rows) {
  return "online: {backend: rocksdb, path: .strata/online, sync: false, bulk_load_rows: " + std::to_string(bulk_load_rows) +
         "}\n" + kGroups;
}

uint64_t LogBytes(const TempDir& dir) {
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() / ".strata/online"))
    if (e.path().extension() == ".log") bytes += e.file_size();
  return bytes;
}

Value DocKey(int64_t k) {
  // Lengths 1 to 30, many sharing a prefix, some a prefix of another.
  return Value(k % 3 == 0 ? std::to_string(k) : std::string("docs/") + std::string(k % 7, 'x') + std::to_string(k));
}

TEST(OnlineBulkLoadTest, BulkLoadedWritesReadTheSameAsLoggedOnes) {
  TempDir bulk_dir, logged_dir;
  auto logged = MakeRepo(logged_dir, Yaml(1000));  // not write-only: never bulk-loads
  MakeRepo(bulk_dir, Yaml(1000)).reset();
  auto open_bulk = [&](bool write_only) {
    auto repo = FeatureRepository::Open(bulk_dir.str(), {.write_only = write_only});
    EXPECT_TRUE(repo.ok()) << repo.status().ToString();
    return std::move(*repo);
  };
  auto bulk = open_bulk(true);
  std::mt19937_64 rng(11);
  const int64_t now = NowMicros();
  constexpr int64_t kKeys = 1500;
  int64_t next_value = 1;
  for (int round = 0; round < 5; ++round) {
    for (const char* group : {"u", "d", "s"}) {
      std::vector<FeatureRow> rows;
      const int n = round == 2 ? 300 : 4000;  // round 2 is logged in both repositories
      for (int i = 0; i < n; ++i) {
        const int64_t k = static_cast<int64_t>(rng() % kKeys);
        // On a coarse grid over the last 2 hours: ties, late rows, some beyond the window.
        const int64_t t = now - 2 * 3600 * kSec + static_cast<int64_t>(rng() % 40) * 3 * 60 * kSec;
        const Value key = *group == 'd' ? DocKey(k) : Value(k);
        if (*group == 'u') rows.push_back(Row(key, t, {next_value, i % 5 == 0 ? Value() : Value(0.5 * next_value)}));
        else rows.push_back(Row(key, t, {next_value}));
        ++next_value;
      }
      const std::vector<MetadataEntry> meta = {{"source", std::string(group) + "-" + std::to_string(round)}};
      auto a = bulk->Write(**bulk->FindGroup(group), rows, meta);
      auto b = logged->Write(**logged->FindGroup(group), rows, meta);
      ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString() << " " << b.status().ToString();
      ASSERT_EQ(*a, *b);
    }
  }
  auto compare = [&](const char* when) {
    for (const char* group : {"u", "d", "s"}) {
      std::vector<Value> keys;
      for (int64_t k = 0; k <= kKeys; ++k) keys.push_back(*group == 'd' ? DocKey(k) : Value(k));
      // As-of times inside the 1h window, with room for a slow (sanitizer) build's run time.
      for (int64_t as_of : {NowMicros(), now - 30 * 60 * kSec, now - 45 * 60 * kSec - 1}) {
        for (int32_t limit : {0, 2}) {
          if (limit && *group != 's') continue;
          auto read = [&](FeatureRepository& repo) {
            const auto& g = **repo.FindGroup(group);
            std::vector<const FeatureDef*> features;
            for (const auto& f : g.features) features.push_back(&f);
            auto cols = repo.Read(g, keys, features, as_of, limit);
            EXPECT_TRUE(cols.ok()) << cols.status().ToString();
            return cols.ok() ? *cols : std::vector<std::shared_ptr<arrow::Array>>();
          };
          auto expected = read(*logged), got = read(*bulk);
          ASSERT_EQ(got.size(), expected.size());
          for (size_t f = 0; f < got.size(); ++f) {
            EXPECT_TRUE(got[f]->Equals(*expected[f])) << when << ": group " << group << " feature " << f << " as of now-"
                                                      << (now - as_of) / kSec << "s, limit " << limit;
            EXPECT_GT(expected[f]->length() - expected[f]->null_count(), kKeys / 2) << group;
          }
        }
      }
    }
    auto seq = bulk->online().LastWriteSeq();
    ASSERT_TRUE(seq.ok());
    EXPECT_EQ(*seq, *logged->online().LastWriteSeq()) << when;
    auto source = bulk->online().ReadMetadata("source");
    ASSERT_TRUE(source.ok());
    EXPECT_EQ(*source, std::optional<std::string>("s-4")) << when;
  };
  compare("as written");
  bulk.reset();
  bulk = open_bulk(false);  // a restart: the bulk-loaded writes are in no log to replay
  compare("after a restart");
  ASSERT_TRUE(bulk->online().Compact().ok());
  compare("after compaction");
}

TEST(OnlineBulkLoadTest, LargeWritesOfWriteOnlyProcessesBypassTheLog) {
  for (const int64_t bulk_load_rows : {1000, 0}) {
    TempDir dir;
    MakeRepo(dir, Yaml(bulk_load_rows)).reset();
    auto repo = FeatureRepository::Open(dir.str(), {.write_only = true});
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    const auto& g = **(*repo)->FindGroup("u");
    const uint64_t before = LogBytes(dir);
    std::vector<FeatureRow> rows;
    for (int64_t k = 0; k < 5000; ++k) rows.push_back(Row(k, NowMicros(), {k, 1.0}));
    ASSERT_TRUE((*repo)->Write(g, rows).ok());
    // ~40 bytes a row through the log; nothing with bulk loading.
    if (bulk_load_rows > 0) EXPECT_EQ(LogBytes(dir), before);
    else EXPECT_GT(LogBytes(dir), before + 5000 * 20);
    EXPECT_FALSE(std::filesystem::exists(dir.path() / ".strata/online/bulk-load/0-latest.sst"));
  }
}

TEST(OnlineBulkLoadTest, FilesOfACrashedBulkLoadAreRemovedAtOpen) {
  TempDir dir;
  MakeRepo(dir, Yaml(1000)).reset();
  const auto scratch = dir.path() / ".strata/online/bulk-load";
  std::filesystem::create_directories(scratch);
  testing::WriteText(scratch / "0-latest.sst", "half a file");
  auto repo = FeatureRepository::Open(dir.str(), {.write_only = true});
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(scratch / "0-latest.sst"));
  std::vector<FeatureRow> rows;
  for (int64_t k = 0; k < 2000; ++k) rows.push_back(Row(k, NowMicros(), {k, 2.0}));
  ASSERT_TRUE((*repo)->Write(**(*repo)->FindGroup("u"), rows).ok());
  repo->reset();
  auto reader = FeatureRepository::Open(dir.str(), {.read_only = true});
  ASSERT_TRUE(reader.ok());
  const auto& g = **(*reader)->FindGroup("u");
  auto cols = (*reader)->Read(g, std::vector<Value>{int64_t{1999}}, {&g.features[0]});
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  EXPECT_EQ(testing::Cell(*(*cols)[0], 0), Value(int64_t{1999}));
}

}  // namespace
}  // namespace strata
