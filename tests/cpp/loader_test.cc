// The training-data loader through its public interface: plans (exactly once over shards,
// deterministic, resumable at any row), batches (values, nulls, layouts), the threaded
// pipeline (order, resume, errors), on tables and Parquet files.

#include <arrow/api.h>
#include <arrow/io/api.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <set>

#include "strata/core/parquet_vectors.h"
#include "strata/loader/batch_loader.h"
#include "test_repo.h"

namespace strata::loader {
namespace {

std::vector<Unit> Units(std::vector<int64_t> rows) {
  std::vector<Unit> units;
  for (size_t i = 0; i < rows.size(); ++i) units.push_back({0, static_cast<int>(i), rows[i]});
  return units;
}

// Global row ids a shard reads, in order (unit u's rows are base[u] .. base[u] + rows).
std::vector<int64_t> StreamOf(const EpochPlan& plan, const std::vector<Unit>& units) {
  std::vector<int64_t> base(units.size());
  for (size_t u = 1; u < units.size(); ++u) base[u] = base[u - 1] + units[u - 1].rows;
  std::vector<int64_t> out;
  for (int w = 0; w < static_cast<int>(plan.windows().size()); ++w) {
    std::vector<int64_t> rows;
    for (int u : plan.windows()[static_cast<size_t>(w)].units)
      for (int64_t r = 0; r < units[static_cast<size_t>(u)].rows; ++r) rows.push_back(base[static_cast<size_t>(u)] + r);
    for (uint32_t j : plan.RowOrder(w)) out.push_back(rows[j]);
  }
  return out;
}

TEST(EpochPlanTest, ShardsTogetherReadEveryRowOnceAndDeterministically) {
  const auto units = Units({100, 0, 37, 100, 100, 5, 100, 64, 100, 1});
  const int64_t total = 607;
  for (int shards : {1, 2, 3, 4, 16}) {
    for (bool shuffle : {true, false}) {
      std::vector<int64_t> all;
      for (int s = 0; s < shards; ++s) {
        PlanOptions o{shuffle, 42, 150, s, shards};
        auto plan = EpochPlan::Make(units, o, 3);
        auto stream = StreamOf(plan, units);
        EXPECT_EQ(static_cast<int64_t>(stream.size()), plan.rows());
        EXPECT_EQ(StreamOf(EpochPlan::Make(units, o, 3), units), stream);  // same seed and epoch: same order
        all.insert(all.end(), stream.begin(), stream.end());
      }
      std::sort(all.begin(), all.end());
      std::vector<int64_t> expected(total);
      std::iota(expected.begin(), expected.end(), 0);
      EXPECT_EQ(all, expected) << shards << " shards, shuffle " << shuffle;
    }
  }
  PlanOptions o{true, 42, 150, 0, 1};
  EXPECT_NE(StreamOf(EpochPlan::Make(units, o, 0), units), StreamOf(EpochPlan::Make(units, o, 1), units));
  o.shuffle = false;
  auto in_order = StreamOf(EpochPlan::Make(units, o, 0), units);
  EXPECT_TRUE(std::is_sorted(in_order.begin(), in_order.end()));
}

TEST(EpochPlanTest, WindowsHoldAtLeastTheShuffleBufferAndWindowAtFindsRows) {
  const auto units = Units({10, 10, 10, 10, 10, 10, 10});
  auto plan = EpochPlan::Make(units, {true, 1, 25, 0, 1}, 0);
  ASSERT_EQ(plan.windows().size(), 3u);  // 30 rows (3 units), 30, then the last 10
  EXPECT_EQ(plan.windows()[0].rows, 30);
  EXPECT_EQ(plan.windows()[1].first_row, 30);
  EXPECT_EQ(plan.windows()[2].rows, 10);
  EXPECT_EQ(plan.WindowAt(0), 0);
  EXPECT_EQ(plan.WindowAt(29), 0);
  EXPECT_EQ(plan.WindowAt(30), 1);
  EXPECT_EQ(plan.WindowAt(69), 2);
  EXPECT_EQ(plan.WindowAt(70), 3);
}

std::shared_ptr<arrow::Table> MakeTable(int64_t rows) {
  arrow::Int64Builder ids;
  arrow::DoubleBuilder dense;
  arrow::ListBuilder bags(arrow::default_memory_pool(), std::make_shared<arrow::Int32Builder>());
  auto* bag_ids = static_cast<arrow::Int32Builder*>(bags.value_builder());
  arrow::FixedSizeListBuilder embs(arrow::default_memory_pool(), std::make_shared<arrow::FloatBuilder>(), 3);
  auto* emb_values = static_cast<arrow::FloatBuilder*>(embs.value_builder());
  arrow::StringBuilder cats;
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(ids.Append(i).ok());
    EXPECT_TRUE((i % 5 == 0 ? dense.AppendNull() : dense.Append(i * 0.5)).ok());
    if (i % 7 == 0) {
      EXPECT_TRUE(bags.AppendNull().ok());
    } else {
      EXPECT_TRUE(bags.Append().ok());
      for (int k = 0; k < i % 4; ++k) EXPECT_TRUE((k == 1 && i % 3 == 0 ? bag_ids->AppendNull() : bag_ids->Append(k + 10)).ok());
    }
    EXPECT_TRUE(embs.Append().ok());
    for (int k = 0; k < 3; ++k) EXPECT_TRUE(emb_values->Append(static_cast<float>(i + k)).ok());
    EXPECT_TRUE(cats.Append("c" + std::to_string(i % 3)).ok());
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("x", arrow::float64()),
                               arrow::field("bag", arrow::list(arrow::int32())),
                               arrow::field("emb", arrow::fixed_size_list(arrow::float32(), 3)),
                               arrow::field("cat", arrow::utf8())});
  return arrow::Table::Make(schema, {*ids.Finish(), *dense.Finish(), *bags.Finish(), *embs.Finish(), *cats.Finish()});
}

LoaderSpec Spec() {
  LoaderSpec spec;
  spec.dense = {"x"};
  spec.dense_mask = true;
  spec.sparse = {{"bag", 0}, {"cat", 8}};
  spec.sequences = {{"bag", 2, 0}};
  spec.embeddings = {{"emb", 0}};
  spec.extra = {"id"};
  return spec;
}

const HostTensor& Find(const Batch& b, const std::string& name) {
  for (const auto& t : b.tensors)
    if (t.name == name) return t;
  ADD_FAILURE() << "no tensor " << name;
  return b.tensors.front();
}

std::vector<Batch> ReadAll(BatchLoader& loader, int64_t epoch, int64_t start = 0) {
  EXPECT_TRUE(loader.Start(epoch, start).ok());
  std::vector<Batch> out;
  while (true) {
    auto b = loader.Next();
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    if (!b.ok() || !*b) break;
    out.push_back(std::move(**b));
  }
  return out;
}

std::vector<int64_t> Ids(const std::vector<Batch>& batches) {
  std::vector<int64_t> ids;
  for (const auto& b : batches) {
    const auto& t = Find(b, "id");
    ids.insert(ids.end(), t.As<int64_t>(), t.As<int64_t>() + b.rows);
  }
  return ids;
}

TEST(BatchLoaderTest, BatchesCarryEveryValueWithNullsAsDocumented) {
  LoaderOptions options;
  options.batch_size = 64;
  options.plan.shuffle = true;
  options.plan.shuffle_buffer_rows = 200;
  auto loader = BatchLoader::Open(MakeTable(1000), Spec(), options, 100);
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  auto batches = ReadAll(**loader, 0);
  std::set<int64_t> seen;
  for (const auto& b : batches) {
    const int64_t* id = Find(b, "id").As<int64_t>();
    const float* x = Find(b, "dense").As<float>();
    const uint8_t* mask = Find(b, "dense_mask").As<uint8_t>();
    const auto& values = Find(b, "bag.values");
    const int64_t* offsets = Find(b, "bag.offsets").As<int64_t>();
    const int64_t* seq = Find(b, "bag").As<int64_t>();
    const int64_t* seq_len = Find(b, "bag.lengths").As<int64_t>();
    const float* emb = Find(b, "emb").As<float>();
    const int64_t* cat = Find(b, "cat.values").As<int64_t>();
    for (int64_t r = 0; r < b.rows; ++r) {
      const int64_t i = id[r];
      EXPECT_TRUE(seen.insert(i).second);
      EXPECT_EQ(mask[r], i % 5 != 0);
      EXPECT_FLOAT_EQ(x[r], i % 5 == 0 ? 0.0f : static_cast<float>(i * 0.5));
      std::vector<int64_t> expect;
      if (i % 7 != 0)
        for (int k = 0; k < i % 4; ++k)
          if (!(k == 1 && i % 3 == 0)) expect.push_back(k + 10);
      const int64_t end = r + 1 < b.rows ? offsets[r + 1] : values.shape[0];
      EXPECT_EQ(std::vector<int64_t>(values.As<int64_t>() + offsets[r], values.As<int64_t>() + end), expect) << i;
      // The sequence view of the same list: nulls kept in place as 0, truncated to 2.
      const int64_t n = i % 7 == 0 ? 0 : std::min<int64_t>(2, i % 4);
      EXPECT_EQ(seq_len[r], n);
      for (int64_t k = 0; k < 2; ++k)
        EXPECT_EQ(seq[r * 2 + k], k < n ? (k == 1 && i % 3 == 0 ? 0 : k + 10) : 0) << i;
      for (int k = 0; k < 3; ++k) EXPECT_FLOAT_EQ(emb[r * 3 + k], static_cast<float>(i + k));
      EXPECT_GE(cat[r], 0);
      EXPECT_LT(cat[r], 8);
      EXPECT_EQ(cat[r], HashStringToBucket(("c" + std::to_string(i % 3)).data(), 2, 8));
    }
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(batches.size(), 16u);  // 15 x 64 + 40
  EXPECT_EQ(batches.back().rows, 40);
  EXPECT_EQ(batches.back().end_row, 1000);
}

TEST(BatchLoaderTest, ResumingAtAnyBatchContinuesTheSameOrder) {
  LoaderOptions options;
  options.batch_size = 50;
  options.plan.shuffle_buffer_rows = 300;
  options.plan.seed = 9;
  options.threads = 3;
  options.prefetch_batches = 2;
  auto loader = BatchLoader::Open(MakeTable(1234), Spec(), options, 128);
  ASSERT_TRUE(loader.ok());
  auto full = ReadAll(**loader, 5);
  const auto all = Ids(full);
  ASSERT_EQ(all.size(), 1234u);
  for (size_t k : {size_t{0}, size_t{1}, size_t{6}, size_t{7}, full.size() - 1, full.size()}) {
    const int64_t at = k == 0 ? 0 : full[k - 1].end_row;
    auto rest = Ids(ReadAll(**loader, 5, at));
    EXPECT_EQ(rest, std::vector<int64_t>(all.begin() + at, all.end())) << "resumed after batch " << k;
  }
  EXPECT_FALSE((*loader)->Start(5, 1235).ok());
  // Abandoning an epoch midway and starting another is clean.
  ASSERT_TRUE((*loader)->Start(6).ok());
  ASSERT_TRUE((*loader)->Next().ok());
  EXPECT_EQ(Ids(ReadAll(**loader, 6)).size(), 1234u);
}

TEST(BatchLoaderTest, DropLastAndShardCounts) {
  LoaderOptions options;
  options.batch_size = 100;
  options.drop_last = true;
  options.plan.num_shards = 3;
  int64_t rows = 0;
  for (int s = 0; s < 3; ++s) {
    options.plan.shard = s;
    auto loader = BatchLoader::Open(MakeTable(1000), Spec(), options, 64);
    ASSERT_TRUE(loader.ok());
    auto batches = ReadAll(**loader, 0);
    EXPECT_EQ(static_cast<int64_t>(batches.size()), (*loader)->ShardBatches(0));
    for (const auto& b : batches) EXPECT_EQ(b.rows, 100);
    EXPECT_EQ((*loader)->ShardRows(0) / 100, static_cast<int64_t>(batches.size()));
    rows += (*loader)->ShardRows(0);
  }
  EXPECT_EQ(rows, 1000);
}

TEST(BatchLoaderTest, ReadsParquetFilesAndRefusesBadColumns) {
  testing::TempDir dir;
  auto table = MakeTable(3000);
  for (int part = 0; part < 2; ++part) {
    auto out = arrow::io::FileOutputStream::Open((dir.path() / ("p" + std::to_string(part) + ".parquet")).string());
    ASSERT_TRUE(out.ok());
    ASSERT_TRUE(parquet::arrow::WriteTable(*table->Slice(part * 1500, 1500), arrow::default_memory_pool(), *out, 400).ok());
    ASSERT_TRUE((*out)->Close().ok());
  }
  LoaderOptions options;
  options.batch_size = 128;
  options.plan.shuffle = false;
  // Written without Arrow's schema, the embeddings read back as list<float>: their width is given.
  LoaderSpec spec = Spec();
  auto without_width = BatchLoader::Open({dir.path().string()}, spec, options);
  ASSERT_FALSE(without_width.ok());
  EXPECT_NE(without_width.status().message().find("give its dimension"), std::string::npos);
  spec.embeddings = {{"emb", 3}};
  auto loader = BatchLoader::Open({dir.path().string()}, spec, options);
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  EXPECT_EQ((*loader)->num_rows(), 3000);
  auto ids = Ids(ReadAll(**loader, 0));
  std::vector<int64_t> expected(3000);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(ids, expected);

  LoaderSpec bad = spec;
  bad.dense = {"bag"};
  auto refused = BatchLoader::Open({dir.path().string()}, bad, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("dense column 'bag' is list<element: int32>"), std::string::npos)
      << refused.status().message();
  bad = spec;
  bad.sparse = {{"cat", 0}};
  EXPECT_FALSE(BatchLoader::Open({dir.path().string()}, bad, options).ok());
  bad = spec;
  bad.embeddings = {{"emb", 4}};  // values of 3 floats
  auto wrong_width = BatchLoader::Open({dir.path().string()}, bad, options);
  ASSERT_TRUE(wrong_width.ok());
  ASSERT_TRUE((*wrong_width)->Start(0).ok());
  auto failed = (*wrong_width)->Next();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("not 4 floats long"), std::string::npos) << failed.status().message();
  EXPECT_FALSE(BatchLoader::Open({(dir.path() / "missing.parquet").string()}, spec, options).ok());
}

// Null embeddings survive Parquet as Strata writes them (lists declaring their dimension, see
// core/parquet_vectors.h) and the loader takes the dimension from the file.
TEST(BatchLoaderTest, ReadsNullEmbeddingsFromStrataParquetFilesWithoutADimension) {
  testing::TempDir dir;
  const int64_t rows = 500;
  arrow::Int64Builder ids;
  arrow::FixedSizeListBuilder embs(arrow::default_memory_pool(), std::make_shared<arrow::FloatBuilder>(), 4);
  auto* emb_values = static_cast<arrow::FloatBuilder*>(embs.value_builder());
  for (int64_t i = 0; i < rows; ++i) {
    ASSERT_TRUE(ids.Append(i).ok());
    if (i % 3 == 0) {
      ASSERT_TRUE(embs.AppendNull().ok());  // its four child slots too
      continue;
    }
    ASSERT_TRUE(embs.Append().ok());
    for (int k = 0; k < 4; ++k) ASSERT_TRUE(emb_values->Append(static_cast<float>(i * 10 + k)).ok());
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("emb", arrow::fixed_size_list(arrow::float32(), 4))});
  auto batch = arrow::RecordBatch::Make(schema, rows, {*ids.Finish(), *embs.Finish()});
  auto parquet_schema = ParquetVectorSchema(schema);
  ASSERT_EQ(parquet_schema->field(1)->type()->id(), arrow::Type::LIST);
  EXPECT_EQ(DeclaredVectorDim(*parquet_schema->field(1)), 4);
  EXPECT_EQ(DeclaredVectorDim(*parquet_schema->field(0)), 0);
  const std::string path = (dir.path() / "t.parquet").string();
  {
    auto out = arrow::io::FileOutputStream::Open(path);
    ASSERT_TRUE(out.ok());
    auto props = parquet::ArrowWriterProperties::Builder().store_schema()->build();
    auto writer = parquet::arrow::FileWriter::Open(*parquet_schema, arrow::default_memory_pool(), *out,
                                                   parquet::default_writer_properties(), props);
    ASSERT_TRUE(writer.ok());
    // Two slices, so that a batch with an offset is converted too.
    for (int64_t at : {int64_t{0}, int64_t{199}}) {
      auto part = ToParquetVectorBatch(*batch->Slice(at, at == 0 ? 199 : rows - 199), parquet_schema);
      ASSERT_TRUE(part.ok()) << part.status().ToString();
      ASSERT_TRUE((*writer)->WriteRecordBatch(**part).ok());
    }
    ASSERT_TRUE((*writer)->Close().ok());
    ASSERT_TRUE((*out)->Close().ok());
  }
  LoaderSpec spec;
  spec.embeddings = {{"emb", 0}};
  spec.extra = {"id"};
  LoaderOptions options;
  options.batch_size = 64;
  options.plan.shuffle = false;
  auto loader = BatchLoader::Open({path}, spec, options);
  ASSERT_TRUE(loader.ok()) << loader.status().ToString();
  int64_t seen = 0;
  for (const auto& b : ReadAll(**loader, 0)) {
    const int64_t* id = Find(b, "id").As<int64_t>();
    const float* emb = Find(b, "emb").As<float>();
    for (int64_t r = 0; r < b.rows; ++r, ++seen) {
      ASSERT_EQ(id[r], seen);
      for (int k = 0; k < 4; ++k) EXPECT_FLOAT_EQ(emb[r * 4 + k], seen % 3 == 0 ? 0.0f : static_cast<float>(seen * 10 + k)) << seen;
    }
  }
  EXPECT_EQ(seen, rows);
  spec.embeddings = {{"emb", 5}};
  auto wrong = BatchLoader::Open({path}, spec, options);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("has dimension 4, not 5"), std::string::npos) << wrong.status().message();
}

TEST(BatchLoaderTest, EmptyInputYieldsNoBatch) {
  auto loader = BatchLoader::Open(MakeTable(0), Spec(), LoaderOptions{});
  ASSERT_TRUE(loader.ok());
  EXPECT_TRUE(ReadAll(**loader, 0).empty());
}

TEST(RecyclingMemoryPoolTest, ReusesLargeBlocksWithinItsBound) {
  RecyclingMemoryPool pool;
  EXPECT_EQ(RecyclingMemoryPool::SizeClass(1000), 1000);  // small: left to the allocator
  const int64_t big = 3 << 20;
  EXPECT_GE(RecyclingMemoryPool::SizeClass(big + 1), big + 1);
  EXPECT_LE(RecyclingMemoryPool::SizeClass(big + 1), (big + 1) * 5 / 4);
  uint8_t* a = nullptr;
  ASSERT_TRUE(pool.Allocate(big, 64, &a).ok());
  std::memset(a, 7, static_cast<size_t>(big));
  pool.Free(a, big, 64);
  EXPECT_EQ(pool.cached_bytes(), RecyclingMemoryPool::SizeClass(big));
  uint8_t* b = nullptr;
  ASSERT_TRUE(pool.Allocate(big - 100, 64, &b).ok());  // the same class: the same block
  EXPECT_EQ(a, b);
  EXPECT_EQ(pool.cached_bytes(), 0);
  // Growing keeps the contents; shrinking within the class keeps the block.
  ASSERT_TRUE(pool.Reallocate(big - 100, 4 * big, 64, &b).ok());
  EXPECT_EQ(b[big - 101], 7);
  uint8_t* c = b;
  ASSERT_TRUE(pool.Reallocate(4 * big, 4 * big - 10, 64, &c).ok());
  EXPECT_EQ(c, b);
  EXPECT_EQ(pool.bytes_allocated(), RecyclingMemoryPool::SizeClass(4 * big));
  pool.Free(c, 4 * big - 10, 64);
  // The cache never holds more than was in use at the peak.
  EXPECT_LE(pool.cached_bytes(), pool.max_memory());
  EXPECT_EQ(pool.bytes_allocated(), 0);
}

}  // namespace
}  // namespace strata::loader
