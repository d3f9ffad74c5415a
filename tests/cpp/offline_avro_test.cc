// Avro container files and Iceberg manifests: round trips, and corrupt input named in errors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "strata/offline/avro/avro_file_reader.h"
#include "strata/offline/avro/avro_file_writer.h"
#include "strata/offline/iceberg/manifest.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

TEST(AvroTest, RoundTripsEveryType) {
  const std::string schema = R"({"type":"record","name":"r","fields":[
    {"name":"i","type":"int"},{"name":"l","type":"long"},{"name":"b","type":"boolean"},
    {"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"s","type":"string"},
    {"name":"y","type":"bytes"},{"name":"o","type":["null","long"]},
    {"name":"a","type":{"type":"array","items":"long"}},{"name":"m","type":{"type":"map","values":"int"}}]})";
  avro::FileWriter w(schema, {{"k", "v"}});
  for (int64_t n : {int64_t{0}, int64_t{-1}, int64_t{1} << 40, INT64_MIN, INT64_MAX}) {
    auto& e = w.record();
    e.Int(static_cast<int32_t>(n % 1000));
    e.Long(n);
    e.Bool(n > 0);
    e.Float(1.5f);
    e.Double(-2.25);
    e.String("héllo");
    e.Bytes(std::string("\0\xff", 2));
    if (n == 0) e.Branch(0); else e.Branch(1), e.Long(n);
    e.BlockStart(2), e.Long(n), e.Long(7), e.BlockEnd();
    e.BlockStart(1), e.String("x"), e.Int(3), e.BlockEnd();
    w.EndRecord();
  }
  const std::string bytes = w.Finish();
  auto r = avro::ReadFile(bytes, "t.avro");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->metadata.at("k"), "v");
  ASSERT_EQ(r->records.size(), 5u);
  EXPECT_EQ(r->records[3]["l"].get<int64_t>(), INT64_MIN);
  EXPECT_EQ(r->records[4]["l"].get<int64_t>(), INT64_MAX);
  EXPECT_TRUE(r->records[0]["o"].is_null());
  EXPECT_EQ(r->records[2]["o"].get<int64_t>(), int64_t{1} << 40);
  EXPECT_EQ(r->records[1]["s"].get<std::string>(), "héllo");
  EXPECT_EQ(r->records[1]["y"].get_binary().size(), 2u);
  EXPECT_EQ(r->records[2]["a"][1].get<int64_t>(), 7);
  EXPECT_EQ(r->records[2]["m"]["x"].get<int64_t>(), 3);
  EXPECT_FLOAT_EQ(r->records[2]["f"].get<float>(), 1.5f);
  EXPECT_DOUBLE_EQ(r->records[2]["d"].get<double>(), -2.25);
}

TEST(AvroTest, TruncatedOrCorruptFilesAreErrorsNamingTheFile) {
  avro::FileWriter w(R"({"type":"record","name":"r","fields":[{"name":"s","type":"string"}]})", {});
  for (int i = 0; i < 100; ++i) w.record().String("value " + std::to_string(i)), w.EndRecord();
  const std::string bytes = w.Finish();
  for (size_t cut : {size_t{0}, size_t{3}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    auto r = avro::ReadFile(bytes.substr(0, cut), "/w/m.avro");
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_THAT(r.status().message(), HasSubstr("/w/m.avro"));
  }
  std::string flipped = bytes;
  flipped[flipped.size() - 5] ^= 0x55;  // inside the trailing sync marker
  EXPECT_FALSE(avro::ReadFile(flipped, "x").ok());
}

TEST(ManifestTest, EntriesAndStatisticsRoundTrip) {
  iceberg::DataFile f;
  f.path = "file:///w/t/data/d=2026-05-01/a.parquet";
  f.partition_day = 20574;
  f.record_count = 42;
  f.file_size = 1234;
  f.value_counts = {{1, 42}, {4, 42}};
  f.null_counts = {{1, 0}, {4, 3}};
  f.lower_bounds = {{1, std::string("\x01\0\0\0\0\0\0\0", 8)}};
  f.upper_bounds = {{1, std::string("\x09\0\0\0\0\0\0\0", 8)}};
  f.split_offsets = {4};
  std::vector<iceberg::ManifestEntry> entries = {{iceberg::EntryStatus::kAdded, 77, 3, 3, f}};
  const nlohmann::json schema = {{"type", "struct"}, {"schema-id", 0}, {"fields", nlohmann::json::array()}};
  const std::string bytes = iceberg::WriteManifest(entries, schema, "ts_day");
  auto back = iceberg::ReadManifest(bytes, "m.avro", iceberg::ManifestFile{});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 1u);
  const auto& g = (*back)[0];
  EXPECT_EQ(g.snapshot_id, 77);
  EXPECT_EQ(g.sequence_number, 3);
  EXPECT_EQ(g.file.path, f.path);
  EXPECT_EQ(g.file.partition_day, 20574);
  EXPECT_EQ(g.file.null_counts, f.null_counts);
  EXPECT_EQ(g.file.lower_bounds, f.lower_bounds);
  EXPECT_EQ(g.file.upper_bounds, f.upper_bounds);
  EXPECT_EQ(g.file.split_offsets, f.split_offsets);

  iceberg::ManifestFile m = iceberg::SummarizeManifest(entries);
  m.path = "file:///w/t/metadata/m.avro";
  m.added_snapshot_id = 77;
  auto list = iceberg::ReadManifestList(iceberg::WriteManifestList({m}, 77, std::nullopt, 3), "l.avro");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].added_rows, 42);
  EXPECT_EQ((*list)[0].path, m.path);
}

}  // namespace
}  // namespace strata
