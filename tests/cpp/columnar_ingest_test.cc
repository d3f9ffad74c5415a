// The columnar ingest path: Arrow batches whose rows are all valid skip the per-row conversion.
// It must store exactly what the row path stores, and hand every batch it cannot convert
// exactly to the row path (which then says what is wrong with which row).

#include <arrow/api.h>
#include <arrow/io/api.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include <map>
#include <random>

#include "strata/core/column_row_encoder.h"
#include "strata/core/row_codec.h"
#include "strata/ingest/arrow_batch_rows.h"
#include "strata/ingest/file_ingestor.h"
#include "strata/store/group_scan.h"
#include "test_repo.h"

namespace strata {
namespace {

using testing::Cell;
using testing::MakeRepo;
using testing::TempDir;

const char* kBody = R"(entities:
  user: {key: user_id}
feature_groups:
  profile:
    entity: user
    history: 100000d
    features: {age: int32, visits: int64, score: float32, ratio: float64, big: float64, country: string,
               blob: bytes, seen: timestamp, ok: bool, absent: int64}
)";

constexpr int64_t kBase = 1777636800000000;  // 2026-05-01 µs

// A batch with every scalar feature in a source type other than its own where one converts
// exactly (ages as int16, visits as uint32, scores as float64, ...), with nulls, and no
// `absent` column at all.
std::shared_ptr<arrow::RecordBatch> MixedBatch(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  arrow::Int32Builder key;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::NANO, "Europe/Paris"), arrow::default_memory_pool());
  arrow::Int16Builder age;
  arrow::UInt32Builder visits;
  arrow::DoubleBuilder score;
  arrow::FloatBuilder ratio;
  arrow::Int64Builder big;
  arrow::StringBuilder country, blob;
  arrow::TimestampBuilder seen(arrow::timestamp(arrow::TimeUnit::SECOND), arrow::default_memory_pool());
  arrow::BooleanBuilder ok;
  for (int64_t i = 0; i < n; ++i) {
    const bool null = rng() % 7 == 0;
    (void)key.Append(static_cast<int32_t>(rng() % 50));
    (void)ts.Append((kBase + static_cast<int64_t>(rng() % 86'400'000'000)) * 1000 + static_cast<int64_t>(rng() % 1000));
    (void)(null ? age.AppendNull() : age.Append(static_cast<int16_t>(rng())));
    (void)(null ? visits.AppendNull() : visits.Append(static_cast<uint32_t>(rng())));
    (void)score.Append(static_cast<double>(static_cast<int64_t>(rng() % 2'000'000) - 1'000'000) / 3.0);
    (void)(null ? ratio.AppendNull() : ratio.Append(static_cast<float>(rng() % 1000) / 7.0f));
    (void)big.Append(static_cast<int64_t>(rng() % (int64_t{1} << 52)) - (int64_t{1} << 51));
    (void)(null ? country.AppendNull() : country.Append(i % 3 == 0 ? "" : "c" + std::to_string(rng() % 100)));
    (void)blob.Append("b" + std::to_string(i));
    (void)(null ? seen.AppendNull() : seen.Append(1777636800 + static_cast<int64_t>(rng() % 1000)));
    (void)(null ? ok.AppendNull() : ok.Append(rng() % 2 == 0));
  }
  auto schema = arrow::schema({arrow::field("user_id", arrow::int32()), arrow::field("ts", ts.type()),
                               arrow::field("age", arrow::int16()), arrow::field("visits", arrow::uint32()),
                               arrow::field("score", arrow::float64()), arrow::field("ratio", arrow::float32()),
                               arrow::field("big", arrow::int64()), arrow::field("country", arrow::utf8()),
                               arrow::field("blob", arrow::utf8()), arrow::field("seen", seen.type()),
                               arrow::field("ok", arrow::boolean()), arrow::field("extra", arrow::int8())});
  arrow::Int8Builder extra;
  (void)extra.AppendNulls(n);
  return arrow::RecordBatch::Make(schema, n,
                                  {*key.Finish(), *ts.Finish(), *age.Finish(), *visits.Finish(), *score.Finish(),
                                   *ratio.Finish(), *big.Finish(), *country.Finish(), *blob.Finish(), *seen.Finish(),
                                   *ok.Finish(), *extra.Finish()});
}

class ColumnarIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = MakeRepo(dir_, kBody);
    g_ = *repo_->FindGroup("profile");
    layout_ = {g_, &repo_->EntityOf(*g_)};
  }
  ArrowBatchRows Rows(const arrow::Schema& schema) {
    std::vector<std::string> ignored;
    auto rows = ArrowBatchRows::Make(schema, layout_, "test", &ignored);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return std::move(*rows);
  }
  TempDir dir_;
  std::unique_ptr<FeatureRepository> repo_;
  const FeatureGroupDef* g_ = nullptr;
  SourceLayout layout_;
};

TEST_F(ColumnarIngestTest, ColumnsHoldWhatTheRowPathReads) {
  auto batch = MixedBatch(5000, 1);
  ArrowBatchRows rows = Rows(*batch->schema());
  std::vector<SourceRecord> records;
  rows.Convert(*batch, 1, &records);
  auto columns = rows.ConvertColumns(*batch);
  ASSERT_TRUE(columns.has_value());
  ASSERT_EQ(columns->rows, 5000);
  std::vector<std::string> encoded(5000);
  EncodeRowsFromColumns(g_->features, columns->features, &encoded);
  const auto& keys = static_cast<const arrow::Int64Array&>(*columns->key);
  const auto& times = static_cast<const arrow::TimestampArray&>(*columns->event_time);
  for (int64_t i = 0; i < 5000; ++i) {
    ASSERT_TRUE(records[i].ok) << records[i].reason;
    EXPECT_EQ(Value(keys.Value(i)), records[i].row.key);
    EXPECT_EQ(times.Value(i), records[i].row.event_time);
    std::string row;
    EncodeRow(g_->features, records[i].row.features, &row);
    ASSERT_EQ(encoded[i], row) << "row " << i;  // the stored bytes, value for value
  }
}

TEST_F(ColumnarIngestTest, SlicedColumnsEncodeTheirOwnRows) {
  auto batch = MixedBatch(3000, 3);
  ArrowBatchRows rows = Rows(*batch->schema());
  auto columns = rows.ConvertColumns(*batch);
  ASSERT_TRUE(columns.has_value());
  std::vector<std::string> whole(3000);
  EncodeRowsFromColumns(g_->features, columns->features, &whole);
  // Odd offsets: bit-packed booleans and validity bitmaps start mid-byte.
  std::vector<std::shared_ptr<arrow::Array>> sliced;
  for (const auto& c : columns->features) sliced.push_back(c->Slice(1001, 997));
  std::vector<std::string> part(997, std::string("prefix"));
  EncodeRowsFromColumns(g_->features, sliced, &part);
  for (int64_t i = 0; i < 997; ++i) ASSERT_EQ(part[i], "prefix" + whole[1001 + i]) << "row " << i;
}

TEST_F(ColumnarIngestTest, BatchesThatNeedTheRowPathAreNotConverted) {
  auto base = MixedBatch(10, 2);
  ArrowBatchRows rows = Rows(*base->schema());
  ASSERT_TRUE(rows.ConvertColumns(*base).has_value());
  auto with = [&](int column, std::shared_ptr<arrow::Array> array) {
    auto b = base->SetColumn(column, arrow::field(base->schema()->field(column)->name(), array->type()), array);
    EXPECT_TRUE(b.ok());
    return *b;
  };
  auto int64s = [](std::vector<std::optional<int64_t>> v) {
    arrow::Int64Builder b;
    for (auto x : v) (void)(x ? b.Append(*x) : b.AppendNull());
    return *b.Finish();
  };
  std::vector<std::optional<int64_t>> ten(10, int64_t{1});
  auto at = [&](int64_t i, std::optional<int64_t> v) {
    auto copy = ten;
    copy[i] = v;
    return copy;
  };
  struct Case {
    const char* what;
    std::shared_ptr<arrow::RecordBatch> batch;
    const char* reason;
  };
  arrow::DoubleBuilder huge;
  for (int i = 0; i < 10; ++i) (void)huge.Append(i == 4 ? 1e39 : 1.0);
  arrow::TimestampBuilder before_1970(arrow::timestamp(arrow::TimeUnit::NANO), arrow::default_memory_pool());
  for (int i = 0; i < 10; ++i) (void)before_1970.Append(i == 2 ? -1500 : 1000);
  arrow::StringBuilder text_times;
  for (int i = 0; i < 10; ++i) (void)text_times.Append("2026-05-01T00:00:00Z");
  const Case cases[] = {
      {"a null key", with(0, int64s(at(3, std::nullopt))), "missing key"},
      {"an age beyond int32", with(2, int64s(at(5, int64_t{1} << 40))), "out of range for int32"},
      {"a score beyond float32", with(4, *huge.Finish()), "out of range for float32"},
      {"a null event time", with(1, int64s(at(1, std::nullopt))), "missing event time"},
      {"nanoseconds before 1970 (they floor)", with(1, *before_1970.Finish()), ""},
      {"times as text", with(1, *text_times.Finish()), ""},
  };
  for (const auto& c : cases) {
    ArrowBatchRows r = Rows(*c.batch->schema());
    EXPECT_FALSE(r.ConvertColumns(*c.batch).has_value()) << c.what;
    std::vector<SourceRecord> records;
    r.Convert(*c.batch, 1, &records);
    int rejected = 0;
    for (const auto& rec : records)
      if (!rec.ok) {
        ++rejected;
        EXPECT_NE(rec.reason.find(c.reason), std::string::npos) << c.what << ": " << rec.reason;
      }
    EXPECT_EQ(rejected, *c.reason ? 1 : 0) << c.what;
  }
  // Negative nanoseconds floor to the microsecond below, on the row path.
  ArrowBatchRows r = Rows(*cases[4].batch->schema());
  std::vector<SourceRecord> records;
  r.Convert(*cases[4].batch, 1, &records);
  EXPECT_EQ(records[2].row.event_time, -2);
}

// Scans a group's offline table into rows ordered by write_seq: (key, time, features...) as text.
std::map<int64_t, std::string> OfflineRows(FeatureRepository& repo, const FeatureGroupDef& g) {
  std::map<int64_t, std::string> out;
  auto scan = ScanGroup(repo, g, {});
  EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  while (true) {
    auto batch = scan->scan->Next();
    EXPECT_TRUE(batch.ok());
    if (!batch.ok() || !*batch) break;
    const auto& b = **batch;
    const int seq = b.schema()->GetFieldIndex("write_seq");
    for (int64_t i = 0; i < b.num_rows(); ++i) {
      std::string row;
      for (int c = 0; c < b.num_columns(); ++c) row += (*b.column(c)->GetScalar(i))->ToString() + "|";
      out[static_cast<const arrow::Int64Array&>(*b.column(seq)).Value(i)] = row;
    }
  }
  return out;
}

TEST_F(ColumnarIngestTest, BothPathsWriteTheSameRowsOnlineAndOffline) {
  // Batch 1 and 3 take the columnar path; batch 2 holds one bad row, so the row path.
  auto b1 = MixedBatch(3000, 3), b2 = MixedBatch(3000, 4), b3 = MixedBatch(3000, 5);
  arrow::Int32Builder keys;
  for (int i = 0; i < 3000; ++i) (void)(i == 1234 ? keys.AppendNull() : keys.Append(i % 50));
  auto bad = *b2->SetColumn(0, b2->schema()->field(0), *keys.Finish());
  auto table = *arrow::Table::FromRecordBatches({b1, bad, b3});
  auto ingest = [&](FeatureRepository& repo, std::shared_ptr<arrow::Table> t, const std::string& name) {
    auto s = IngestStream(repo, **repo.FindGroup("profile"),
                          std::make_shared<arrow::TableBatchReader>(t), name);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return *s;
  };
  auto s = ingest(*repo_, table, "mixed");
  EXPECT_EQ(s.accepted, 8999u);
  EXPECT_EQ(s.rejected, 1u);
  // The same rows, all through the row path (each batch given a bad row at its end).
  TempDir other;
  auto row_repo = MakeRepo(other, kBody);
  std::vector<std::shared_ptr<arrow::RecordBatch>> row_batches;
  for (const auto& b : {b1, bad, b3}) {
    arrow::Int32Builder k;
    for (int64_t i = 0; i < b->num_rows(); ++i) {
      if (b->column(0)->IsNull(i)) (void)k.AppendNull();
      else (void)k.Append(static_cast<const arrow::Int32Array&>(*b->column(0)).Value(i));
    }
    (void)k.AppendNull();
    std::vector<std::shared_ptr<arrow::Array>> columns{*k.Finish()};
    for (int c = 1; c < b->num_columns(); ++c) {
      auto tail = *arrow::MakeArrayFromScalar(**b->column(c)->GetScalar(0), 1);
      columns.push_back(*arrow::Concatenate({b->column(c), tail}));
    }
    row_batches.push_back(arrow::RecordBatch::Make(b->schema(), b->num_rows() + 1, columns));
  }
  auto r = ingest(*row_repo, *arrow::Table::FromRecordBatches(row_batches), "rows");
  EXPECT_EQ(r.accepted, 8999u);
  EXPECT_EQ(r.rejected, 4u);
  // Offline: the same rows with the same write_seq.
  const auto columnar_rows = OfflineRows(*repo_, *g_);
  EXPECT_EQ(columnar_rows.size(), 8999u);
  EXPECT_EQ(columnar_rows, OfflineRows(*row_repo, **row_repo->FindGroup("profile")));
  // Online: every key's latest row, value for value.
  std::vector<Value> all_keys;
  for (int64_t k = 0; k < 50; ++k) all_keys.push_back(k);
  std::vector<const FeatureDef*> features;
  for (const auto& f : g_->features) features.push_back(&f);
  auto a = repo_->Read(*g_, all_keys, features);
  auto b = row_repo->Read(**row_repo->FindGroup("profile"), all_keys, features);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t f = 0; f < features.size(); ++f) EXPECT_TRUE((*a)[f]->Equals(*(*b)[f])) << features[f]->name;
  EXPECT_EQ((*a)[2]->null_count(), 0);  // every key has a score
}

TEST_F(ColumnarIngestTest, ParquetResumesInsideAColumnarBatch) {
  auto batch = MixedBatch(1000, 6);
  const std::string path = (dir_.path() / "p.parquet").string();
  auto out = *arrow::io::FileOutputStream::Open(path);
  ASSERT_TRUE(parquet::arrow::WriteTable(**arrow::Table::FromRecordBatches({batch}), arrow::default_memory_pool(), out, 1000).ok());
  ASSERT_TRUE(out->Close().ok());
  IngestOptions o = testing::CrashingAtCommit(300, 300, 1);
  EXPECT_THROW((void)IngestFiles(*repo_, *g_, {path}, o), std::runtime_error);
  const uint64_t first_run = repo_->last_write_seq();
  EXPECT_GT(first_run, 0u);
  o.on_commit = nullptr;
  o.batch_rows = 1000;  // the rerun reads one batch, of which the first rows were committed
  o.commit_rows = 0;
  auto s = IngestFiles(*repo_, *g_, {path}, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->accepted + first_run, 1000u);
  EXPECT_EQ(s->resumed_records, first_run);
  const auto rows = OfflineRows(*repo_, *g_);
  ASSERT_EQ(rows.size(), 1000u);  // every row exactly once
  EXPECT_EQ(rows.rbegin()->first, 1000);
}

}  // namespace
}  // namespace strata
