// Proves the Arrow/Parquet C++ link (from the pyarrow wheel or a system Arrow): write a
// Parquet file with typed columns and read it back.

#include <arrow/api.h>
#include <arrow/io/api.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include "test_repo.h"

namespace strata {
namespace {

TEST(ParquetLinkTest, WritesAndReadsBack) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "t.parquet").string();
  arrow::Int64Builder ids;
  arrow::StringBuilder names;
  arrow::ListBuilder lists(arrow::default_memory_pool(), std::make_shared<arrow::FloatBuilder>());
  auto* floats = static_cast<arrow::FloatBuilder*>(lists.value_builder());
  for (int64_t i = 0; i < 1000; ++i) {
    ASSERT_TRUE(ids.Append(i).ok());
    ASSERT_TRUE((i % 10 ? names.Append("n" + std::to_string(i)) : names.AppendNull()).ok());
    ASSERT_TRUE(lists.Append().ok());
    for (int k = 0; k < i % 4; ++k) ASSERT_TRUE(floats->Append(static_cast<float>(k)).ok());
  }
  auto schema = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8()),
                               arrow::field("xs", arrow::list(arrow::float32()))});
  auto table = arrow::Table::Make(schema, {*ids.Finish(), *names.Finish(), *lists.Finish()});
  auto out = arrow::io::FileOutputStream::Open(path);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *out, 256).ok());
  ASSERT_TRUE((*out)->Close().ok());

  auto in = arrow::io::ReadableFile::Open(path);
  ASSERT_TRUE(in.ok());
  auto reader = parquet::arrow::OpenFile(*in, arrow::default_memory_pool());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->num_row_groups(), 4);
  auto back = (*reader)->ReadTable();
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE((*back)->Equals(*table));
}

}  // namespace
}  // namespace strata
