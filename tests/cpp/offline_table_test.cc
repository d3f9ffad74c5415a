// Iceberg tables through the offline store and the repository: appends and scans, schema
// evolution, racing writers, compaction, expiry, corrupt files, and reconciliation after a
// crash between the offline commit and the online write.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include <thread>

#include "strata/core/file_io.h"
#include "strata/core/time.h"
#include "strata/offline/iceberg/table_schema.h"
#include "strata/offline/offline_store.h"
#include "strata/offline/row_batch_builder.h"
#include "test_repo.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using testing::Cell;
using testing::MakeRepo;
using testing::Row;
using testing::TempDir;
using testing::WriteText;

constexpr char kBody[] =
    "entities:\n  user: {key: user_id}\nfeature_groups:\n  g:\n    entity: user\n    event_time: ts\n"
    "    features: {a: int32, s: string, v: {type: \"vector<float32,4>\", quantization: int8}}\n";

int64_t Day(int d) { return ParseTimestamp("2026-05-01T12:00:00Z").value() + d * kMicrosPerDay; }

// Every row of the group's current snapshot, as (key, write_seq) pairs, and the table.
std::shared_ptr<arrow::Table> ScanAll(FeatureRepository& repo, const FeatureGroupDef& g) {
  auto offline = repo.offline();
  EXPECT_TRUE(offline.ok());
  auto table = (*offline)->GetTable(repo.EntityOf(g), g);
  EXPECT_TRUE(table.ok());
  EXPECT_TRUE((*table)->Refresh().ok());
  auto snap = (*table)->CurrentSnapshot();
  std::vector<iceberg::ManifestEntry> files;
  if (snap) files = (*table)->LiveFiles(*snap).value();
  auto scan = iceberg::TableScan::Make(files, (*table)->CurrentSchema());
  EXPECT_TRUE(scan.ok());
  auto sorted = ReadSorted(**scan);
  EXPECT_TRUE(sorted.ok()) << sorted.status().ToString();
  return *sorted;
}

TEST(OfflineTableTest, IngestWritesTheSameRowsOfflineWithTheSameWriteSeq) {
  TempDir dir;
  auto repo = MakeRepo(dir, kBody);
  const auto& g = **repo->FindGroup("g");
  std::vector<FeatureRow> rows;
  for (int i = 0; i < 1000; ++i)
    rows.push_back(Row(int64_t{i % 10}, Day(i % 3), {int64_t{i}, i % 7 ? Value(std::string("x")) : Value(),
                                                     std::vector<float>{1, 2, 3, float(i)}}));
  ASSERT_TRUE(repo->Write(g, rows).ok());
  auto t = ScanAll(*repo, g);
  ASSERT_EQ(t->num_rows(), 1000);
  EXPECT_EQ(t->schema()->field(0)->name(), "user_id");
  EXPECT_EQ(t->schema()->field(1)->name(), "ts");
  EXPECT_EQ(t->schema()->field(2)->name(), "write_seq");
  EXPECT_EQ(t->schema()->field(5)->type()->ToString(), "list<element: float>");
  auto seqs = std::static_pointer_cast<arrow::Int64Array>(t->column(2)->chunk(0));
  std::set<int64_t> all;
  for (int64_t i = 0; i < seqs->length(); ++i) all.insert(seqs->Value(i));
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), 1000);
  // One snapshot, one file per day, statistics in the manifest.
  auto* table = (*repo->offline())->GetTable(repo->EntityOf(g), g).value();
  ASSERT_EQ(table->Snapshots().size(), 1u);
  EXPECT_EQ(table->CurrentSnapshot()->summary.at(kMaxWriteSeqProperty), "1000");
  auto files = table->LiveFiles(*table->CurrentSnapshot()).value();
  ASSERT_EQ(files.size(), 3u);
  for (const auto& f : files) {
    EXPECT_GT(f.file.record_count, 300);
    EXPECT_EQ(f.file.value_counts.at(iceberg::kKeyFieldId), f.file.record_count);
    EXPECT_GT(f.file.null_counts.at(iceberg::FeatureFieldId(g.features[1])), 0);
    EXPECT_EQ(f.file.lower_bounds.at(iceberg::kKeyFieldId).size(), 8u);
    EXPECT_THAT(f.file.path, HasSubstr("/data/ts_day=2026-05-0"));
    // Integers and times delta-encoded, text in dictionaries: what Spark's Iceberg reader,
    // DuckDB and pyarrow all read (tests/python/test_offline.py reads them with each).
    auto in = arrow::io::ReadableFile::Open(PathFromUri(f.file.path)).ValueOrDie();
    auto meta = parquet::ReadMetaData(in);
    auto encodings = [&](int column) { return meta->RowGroup(0)->ColumnChunk(column)->encodings(); };
    for (int column : {0, 1, 2, 3})  // user_id, ts, write_seq, a
      EXPECT_THAT(encodings(column), ::testing::Contains(parquet::Encoding::DELTA_BINARY_PACKED)) << column;
    EXPECT_THAT(encodings(4), ::testing::Contains(parquet::Encoding::RLE_DICTIONARY));
  }
}

TEST(OfflineTableTest, SchemaEvolutionAddsPromotesAndHidesColumns) {
  TempDir dir;
  auto repo = MakeRepo(dir, kBody);
  const auto& g0 = **repo->FindGroup("g");
  ASSERT_TRUE(repo->Write(g0, std::vector<FeatureRow>{Row(int64_t{1}, Day(0), {int64_t{5}, std::string("old"), Value()})}).ok());
  repo.reset();
  // Widen a, drop s, add b.
  repo = MakeRepo(dir,
                  "entities:\n  user: {key: user_id}\nfeature_groups:\n  g:\n    entity: user\n    event_time: ts\n"
                  "    features: {a: int64, v: {type: \"vector<float32,4>\", quantization: int8}, b: float64}\n");
  const auto& g = **repo->FindGroup("g");
  ASSERT_TRUE(repo->Write(g, std::vector<FeatureRow>{Row(int64_t{2}, Day(0), {int64_t{1} << 40, Value(), 2.5})}).ok());
  auto t = ScanAll(*repo, g);
  ASSERT_EQ(t->num_rows(), 2);
  std::vector<std::string> names;
  for (const auto& f : t->schema()->fields()) names.push_back(f->name());
  EXPECT_THAT(names, ::testing::ElementsAre("user_id", "ts", "write_seq", "a", "v", "b"));
  EXPECT_EQ(t->schema()->field(3)->type()->id(), arrow::Type::INT64);  // promoted
  EXPECT_EQ(Cell(*t->column(3)->chunk(0), 0), Value(int64_t{5}));       // old int32 file read as long
  EXPECT_TRUE(IsNull(Cell(*t->column(5)->chunk(0), 0)));                // added column: null in old file
  EXPECT_EQ(Cell(*t->column(5)->chunk(0), 1), Value(2.5));
  auto* table = (*repo->offline())->GetTable(repo->EntityOf(g), g).value();
  EXPECT_EQ(table->metadata()["schemas"].size(), 2u);
  // Field ids are never reused: b got a new one beyond every earlier id.
  EXPECT_GT(iceberg::FeatureFieldId(*g.FindFeature("b")), iceberg::FeatureFieldId(*g.FindFeature("v")));
}

TEST(OfflineTableTest, RacingWritersBothCommit) {
  TempDir dir;
  auto repo = MakeRepo(dir, kBody);
  const auto& g = **repo->FindGroup("g");
  const EntityDef& e = repo->EntityOf(g);
  OfflineStoreOptions o = (*repo->offline())->options();
  constexpr int kWriters = 4, kCommits = 5;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto store = OfflineStore::Open(o);  // its own catalog connection, like another process
      if (!store.ok()) return (void)++failures;
      for (int c = 0; c < kCommits; ++c) {
        auto append = (*store)->NewAppend(e, g);
        RowBatchBuilder b(e, g);
        for (int r = 0; r < 10; ++r) b.Append(int64_t{w}, Day(c), w * 1000 + c * 10 + r, std::vector<Value>{int64_t{r}, Value(), Value()});
        if (!append.ok() || !(*append)->Write(b.Finish().value()).ok() || !(*append)->Commit({}).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto t = ScanAll(*repo, g);
  EXPECT_EQ(t->num_rows(), kWriters * kCommits * 10);
  auto* table = (*repo->offline())->GetTable(e, g).value();
  EXPECT_EQ(table->Snapshots().size(), static_cast<size_t>(kWriters * kCommits));
}

TEST(OfflineTableTest, CompactionKeepsRowsAndOldSnapshotsAndExpiryKeepsLiveFiles) {
  TempDir dir;
  auto repo = MakeRepo(dir, kBody);
  const auto& g = **repo->FindGroup("g");
  for (int c = 0; c < 5; ++c) {
    std::vector<FeatureRow> rows;
    for (int i = 0; i < 100; ++i) rows.push_back(Row(int64_t{(i * 7 + c) % 50}, Day(i % 2), {int64_t{i}, Value(), Value()}));
    ASSERT_TRUE(repo->Write(g, rows).ok());
  }
  auto* table = (*repo->offline())->GetTable(repo->EntityOf(g), g).value();
  const auto before = table->CurrentSnapshot().value();
  ASSERT_EQ(table->LiveFiles(before).value().size(), 10u);
  auto r = (*repo->offline())->Compact(repo->EntityOf(g), g, 256 << 20);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files_removed, 10);
  EXPECT_EQ(r->files_added, 2);
  ASSERT_TRUE(r->snapshot.has_value());
  EXPECT_EQ(r->snapshot->summary.at("operation"), "replace");
  auto t = ScanAll(*repo, g);
  EXPECT_EQ(t->num_rows(), 500);
  // The old snapshot still reads its own files.
  auto old_files = table->LiveFiles(before);
  ASSERT_TRUE(old_files.ok()) << old_files.status().ToString();
  EXPECT_EQ(old_files->size(), 10u);
  // Sorted by (key, event time) within each file.
  auto new_files = table->LiveFiles(*table->CurrentSnapshot());
  ASSERT_TRUE(new_files.ok()) << new_files.status().ToString();
  for (const auto& f : *new_files) {
    auto scan = iceberg::TableScan::Make({f}, table->CurrentSchema()).value();
    auto next = scan->Next();
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    auto batch = *next;
    ASSERT_TRUE(batch);
    auto keys = std::static_pointer_cast<arrow::Int64Array>(batch->column(0));
    for (int64_t i = 1; i < keys->length(); ++i) ASSERT_LE(keys->Value(i - 1), keys->Value(i));
  }
  // Nothing to do twice.
  EXPECT_FALSE((*repo->offline())->Compact(repo->EntityOf(g), g, 256 << 20)->snapshot.has_value());
  // Expiring everything but the current snapshot deletes the small files, never a live one.
  auto expired = table->ExpireSnapshots(NowMicros() / 1000 + 1000);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(expired->expired_snapshots.size(), 5u);

  for (const auto& f : table->LiveFiles(*table->CurrentSnapshot()).value())
    EXPECT_TRUE(std::filesystem::exists(PathFromUri(f.file.path))) << f.file.path;
  EXPECT_EQ(ScanAll(*repo, g)->num_rows(), 500);
  // The high-water mark of the expired appends survives on the replace snapshot.
  EXPECT_EQ((*repo->offline())->MaxWriteSeq(repo->EntityOf(g), g).value(), 500u);
}

TEST(OfflineTableTest, CorruptFilesAreErrorsNamingTheFileAndLoseNothing) {
  TempDir dir;
  auto repo = MakeRepo(dir, kBody);
  const auto& g = **repo->FindGroup("g");
  ASSERT_TRUE(repo->Write(g, std::vector<FeatureRow>{Row(int64_t{1}, Day(0), {int64_t{1}, Value(), Value()})}).ok());
  auto* table = (*repo->offline())->GetTable(repo->EntityOf(g), g).value();
  const auto snap = table->CurrentSnapshot().value();
  const std::string data = PathFromUri(table->LiveFiles(snap).value()[0].file.path);
  const std::string original = ReadFileToString(data).value();
  WriteText(data, original.substr(0, original.size() / 2));
  auto scan = iceberg::TableScan::Make(table->LiveFiles(snap).value(), table->CurrentSchema()).value();
  auto batch = scan->Next();
  ASSERT_FALSE(batch.ok());
  EXPECT_THAT(batch.status().message(), HasSubstr(data));
  WriteText(data, original);
  // A truncated manifest list.
  const std::string list = PathFromUri(snap.manifest_list);
  const std::string list_bytes = ReadFileToString(list).value();
  WriteText(list, list_bytes.substr(0, 40));
  auto live = table->LiveFiles(snap);
  ASSERT_FALSE(live.ok());
  EXPECT_THAT(live.status().message(), HasSubstr(list));
  WriteText(list, list_bytes);
  // A truncated metadata file: loading names it; the catalog still points at it, nothing is replaced.
  const std::string meta = PathFromUri(table->metadata_location());
  const std::string meta_bytes = ReadFileToString(meta).value();
  WriteText(meta, meta_bytes.substr(0, 100));
  repo.reset();
  auto reopened = FeatureRepository::Open(dir.str());
  ASSERT_FALSE(reopened.ok());
  EXPECT_THAT(reopened.status().message(), HasSubstr(meta));
  WriteText(meta, meta_bytes);
  reopened = FeatureRepository::Open(dir.str());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(ScanAll(**reopened, **(*reopened)->FindGroup("g"))->num_rows(), 1);
}

TEST(OfflineTableTest, OpenReplaysRowsTheOfflineStoreCommittedButTheOnlineStoreLacks) {
  TempDir dir;
  auto repo = MakeRepo(dir, kBody);
  const auto& g = **repo->FindGroup("g");
  ASSERT_TRUE(repo->Write(g, std::vector<FeatureRow>{Row(int64_t{1}, Day(0), {int64_t{1}, Value(), Value()})}).ok());
  // A crash right after the offline commit of write_seq 2..3 and before the online write.
  {
    const EntityDef& e = repo->EntityOf(g);
    auto append = (*repo->offline())->NewAppend(e, g).value();
    RowBatchBuilder b(e, g);
    b.Append(int64_t{1}, Day(1), 2, std::vector<Value>{int64_t{20}, std::string("new"), std::vector<float>{1, 0, 0, 0}});
    b.Append(int64_t{7}, Day(1), 3, std::vector<Value>{int64_t{70}, Value(), Value()});
    ASSERT_TRUE(append->Write(b.Finish().value()).ok());
    ASSERT_TRUE(append->Commit({{kMaxWriteSeqProperty, "3"}, {kMetadataProperty, R"({"ingest/x":"cp"})"}}).ok());
  }
  repo.reset();
  auto reopened = FeatureRepository::Open(dir.str());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->reconciled_rows(), 2u);
  EXPECT_EQ((*reopened)->last_write_seq(), 3u);
  EXPECT_EQ((*reopened)->online().ReadMetadata("ingest/x").value(), std::optional<std::string>("cp"));
  const auto& g2 = **(*reopened)->FindGroup("g");
  auto cols = (*reopened)->Read(g2, std::vector<Value>{int64_t{1}, int64_t{7}}, {&g2.features[0]});
  ASSERT_TRUE(cols.ok());
  EXPECT_EQ(Cell(*(*cols)[0], 0), Value(int64_t{20}));
  EXPECT_EQ(Cell(*(*cols)[0], 1), Value(int64_t{70}));
  // Idempotent: a second open replays nothing; new writes continue after 3.
  reopened->reset();
  reopened = FeatureRepository::Open(dir.str());
  EXPECT_EQ((*reopened)->reconciled_rows(), 0u);
  ASSERT_EQ((*reopened)->Write(**(*reopened)->FindGroup("g"), std::vector<FeatureRow>{Row(int64_t{9}, Day(0), {int64_t{9}, Value(), Value()})}).value(), 4u);
}

}  // namespace
}  // namespace strata
