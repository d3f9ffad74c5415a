// File ingestion: CSV, JSON-lines and Parquet into a group, with bad rows dead-lettered.

#include "strata/ingest/file_ingestor.h"

#include <arrow/api.h>
#include <arrow/io/api.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "strata/core/time.h"
#include "test_repo.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using testing::Cell;
using testing::MakeRepo;
using testing::TempDir;
using testing::WriteText;

const char* kBody = R"(entities:
  user: {key: user_id}
feature_groups:
  profile:
    entity: user
    history: 100000d
    features: {age: int32, country: string, score: float64, tags: list<string>, seen: timestamp, ok: bool}
)";

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = MakeRepo(dir_, kBody);
    g_ = *repo_->FindGroup("profile");
  }
  Value Get(int64_t key, const char* feature) {
    auto cols = repo_->Read(*g_, std::vector<Value>{key}, {g_->FindFeature(feature)});
    EXPECT_TRUE(cols.ok()) << cols.status().ToString();
    return Cell(*(*cols)[0], 0);
  }
  TempDir dir_;
  std::unique_ptr<FeatureRepository> repo_;
  const FeatureGroupDef* g_ = nullptr;
};

TEST_F(IngestTest, CsvWithNullsBadRowsAndAllTimeForms) {
  const auto csv = dir_.path() / "p.csv";
  WriteText(csv,
            "user_id,ts,age,country,score,tags,extra\n"
            "1,2026-05-01T12:00:00.123456Z,31,DE,0.5,\"[\"\"a\"\",\"\"b\"\"]\",x\n"  // line 2
            "2,1777636800000000,,,,,\n"                                            // line 3: nulls
            "3,2026-05-01T12:00:00Z,abc,FR,1,,\n"                                  // line 4: bad int
            ",2026-05-01T12:00:00Z,1,FR,1,,\n"                                     // line 5: no key
            "4,,1,FR,1,,\n"                                                        // line 6: no time
            "5,2026-05-01 13:00:00,99999999999,FR,1,,\n"                           // line 7: int32 overflow
            "6,2026-05-01T12:00:00+02:00,40,\"Paris, FR\",2.5,[],\n");             // line 8
  auto s = IngestFiles(*repo_, *g_, {csv.string()});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->accepted, 3u);
  EXPECT_EQ(s->rejected, 4u);
  EXPECT_EQ(s->first_write_seq, 1u);
  EXPECT_EQ(s->last_write_seq, 3u);
  EXPECT_THAT(s->ignored_columns, ::testing::ElementsAre(csv.string() + ": extra"));
  EXPECT_EQ(Get(1, "age"), Value(int64_t{31}));
  EXPECT_EQ(Get(2, "age"), Value());
  EXPECT_EQ(Get(2, "country"), Value());
  EXPECT_EQ(Get(6, "country"), Value(std::string("Paris, FR")));
  auto lines = ReadLines(s->rejected_path);
  ASSERT_EQ(lines.size(), 4u);
  auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["file"], csv.string());
  EXPECT_EQ(j["line"], 4);
  EXPECT_THAT(j["reason"].get<std::string>(), HasSubstr("column age: expected an int32, got 'abc'"));
  EXPECT_EQ(j["row"]["country"], "FR");
  EXPECT_THAT(nlohmann::json::parse(lines[1])["reason"].get<std::string>(), HasSubstr("missing key user_id"));
  EXPECT_THAT(nlohmann::json::parse(lines[2])["reason"].get<std::string>(), HasSubstr("missing event time ts"));
  EXPECT_EQ(nlohmann::json::parse(lines[3])["line"], 7);
  EXPECT_THAT(nlohmann::json::parse(lines[3])["reason"].get<std::string>(), HasSubstr("out of range for int32"));
  EXPECT_EQ(s->rejected_path.find(repo_->ResolvePath(".strata/rejected/profile-")), 0u);
}

TEST_F(IngestTest, OutOfRangeValuesAndDuplicateColumnsAreRejected) {
  WriteText(dir_.path() / "dup.csv", "user_id,ts,age,age\n1,2026-05-01T00:00:00Z,3,4\n");
  auto dup = IngestFiles(*repo_, *g_, {(dir_.path() / "dup.csv").string()});
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.status().message(), HasSubstr("column 'age' appears more than once"));
  WriteText(dir_.path() / "range.jsonl",
            "{\"user_id\": 1, \"ts\": 18446744073709551615}\n"
            "{\"user_id\": 2, \"ts\": \"2026-02-30T00:00:00Z\"}\n"
            "{\"user_id\": 3, \"ts\": 5, \"score\": 1e300}\n");
  auto s = IngestFiles(*repo_, *g_, {(dir_.path() / "range.jsonl").string()});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->accepted, 1u);  // score is float64: 1e300 fits
  EXPECT_EQ(s->rejected, 2u);
  auto lines = ReadLines(s->rejected_path);
  EXPECT_THAT(lines[0], HasSubstr("out of range"));
  EXPECT_THAT(lines[1], HasSubstr("invalid timestamp"));
}

TEST_F(IngestTest, CsvRowsWithTheWrongFieldCountAreRejectedNotFatal) {
  WriteText(dir_.path() / "ragged.csv",
            "\xEF\xBB\xBFuser_id,ts,age,country\n"
            "1,2026-05-01T00:00:00Z,30,DE\n"      // line 2
            "2,2026-05-01T00:00:00Z,31,DE,extra\n"  // line 3: too many fields
            "3,2026-05-01T00:00:00Z\n"            // line 4: too few
            "4,2026-05-01T00:00:00Z,x,DE\n"        // line 5: bad int
            "5,2026-05-01T00:00:00Z,34,00123\n");  // line 6
  auto s = IngestFiles(*repo_, *g_, {(dir_.path() / "ragged.csv").string()});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->accepted, 2u);
  EXPECT_EQ(s->rejected, 3u);
  EXPECT_EQ(Get(5, "country"), Value(std::string("00123")));  // text stays text after a byte-order mark
  std::vector<int64_t> lines;
  for (const auto& l : ReadLines(s->rejected_path)) lines.push_back(nlohmann::json::parse(l)["line"].get<int64_t>());
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<int64_t>{3, 4, 5}));
  EXPECT_THAT(ReadLines(s->rejected_path)[0], HasSubstr("expected 4 fields, got 5"));
}

TEST_F(IngestTest, RerunsResumeAndNeverDuplicate) {
  std::string csv = "user_id,ts,age\n";
  for (int i = 0; i < 300; ++i) csv += std::to_string(i) + ",2026-05-01T00:00:00Z," + (i % 50 == 7 ? "bad" : std::to_string(i)) + "\n";
  WriteText(dir_.path() / "a.csv", csv);
  const std::string a = (dir_.path() / "a.csv").string();
  // A first run that stops after its second batch (as a crash would).
  IngestOptions o = testing::CrashingAtCommit(64, 64, 2);
  EXPECT_THROW((void)IngestFiles(*repo_, *g_, {a}, o), std::runtime_error);
  // The second commit was acknowledged while up to two more commits' online writes were in
  // flight (GroupWriter's pipeline): those landed too.
  const uint64_t first_run = repo_->last_write_seq();
  EXPECT_TRUE(first_run == 128u || first_run == 192u || first_run == 256u) << first_run;
  // The lines with "bad" among the records the committed rows were read from.
  uint32_t bad_read = 0;
  for (uint64_t i = 0, good = 0; good < first_run; ++i) {
    if (i % 50 == 7) ++bad_read;
    else ++good;
  }
  // The rerun resumes after what was committed: every row exactly once.
  o.on_commit = nullptr;
  auto s = IngestFiles(*repo_, *g_, {a}, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->accepted, 294u - first_run);
  EXPECT_GE(s->resumed_records, first_run);
  // Lines with "bad" (users 7, 57, 107, then 157 and 207 as later commits landed) rejected by the first run.
  EXPECT_EQ(s->earlier_rejected, bad_read);
  EXPECT_GE(bad_read, 3u);
  EXPECT_EQ(s->rejected, 6u);
  EXPECT_EQ(s->earlier_rejected_paths.size(), 1u);
  EXPECT_EQ(repo_->last_write_seq(), 294u);
  // A finished, unchanged file is skipped; --reingest (resume = false) ingests it again.
  auto again = IngestFiles(*repo_, *g_, {a, a}, o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->accepted, 0u);
  EXPECT_THAT(again->skipped_files, ::testing::ElementsAre(a, a));
  o.resume = false;
  auto forced = IngestFiles(*repo_, *g_, {a, a}, o);  // named twice: still read once
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->accepted, 294u);
  // A file replaced by another (new inode, same name) is a new file.
  std::filesystem::remove(a);
  WriteText(dir_.path() / "a.csv", "user_id,ts,age\n1,2026-05-01T00:00:00Z,1\n");
  o.resume = true;
  auto replaced = IngestFiles(*repo_, *g_, {a}, o);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->accepted, 1u);
}

TEST_F(IngestTest, JsonLines) {
  const auto path = dir_.path() / "p.jsonl";
  WriteText(path,
            "{\"user_id\": 1, \"ts\": \"2026-05-01T12:00:00Z\", \"age\": 30, \"tags\": [\"x\"], \"ok\": true, \"seen\": 5}\n"
            "\n"
            "{\"user_id\": 2, \"ts\": 1777636800000000, \"age\": \"thirty\"}\n"
            "not json\n"
            "{\"user_id\": 3, \"ts\": 1777636800000000, \"score\": 7, \"country\": null}\n"
            "{\"user_id\": \"4\", \"ts\": 1777636800000000}\n");
  auto s = IngestFiles(*repo_, *g_, {path.string()});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->accepted, 2u);
  EXPECT_EQ(s->rejected, 3u);
  EXPECT_EQ(Get(1, "ok"), Value(true));
  EXPECT_EQ(Get(3, "score"), Value(7.0));
  auto lines = ReadLines(s->rejected_path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["line"], 3);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["line"], 4);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["reason"], "not a JSON object");
  EXPECT_THAT(nlohmann::json::parse(lines[2])["reason"].get<std::string>(), HasSubstr("expected an integer"));
}

TEST_F(IngestTest, ParquetWithNativeTypes) {
  const std::string path = (dir_.path() / "p.parquet").string();
  arrow::Int64Builder ids;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"), arrow::default_memory_pool());
  arrow::Int16Builder age;
  arrow::FloatBuilder score;
  for (int64_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(ids.Append(i).ok());
    ASSERT_TRUE(ts.Append(1777636800000 + i).ok());
    ASSERT_TRUE((i == 5 ? age.AppendNull() : age.Append(static_cast<int16_t>(i))).ok());
    ASSERT_TRUE(score.Append(i * 0.5f).ok());
  }
  auto schema = arrow::schema({arrow::field("user_id", arrow::int64()), arrow::field("ts", ts.type()),
                               arrow::field("age", arrow::int16()), arrow::field("score", arrow::float32())});
  auto table = arrow::Table::Make(schema, {*ids.Finish(), *ts.Finish(), *age.Finish(), *score.Finish()});
  auto out = *arrow::io::FileOutputStream::Open(path);
  ASSERT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, 64).ok());
  ASSERT_TRUE(out->Close().ok());
  auto s = IngestFiles(*repo_, *g_, {path});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->accepted, 100u);
  EXPECT_EQ(s->rejected, 0u);
  EXPECT_EQ(Get(42, "age"), Value(int64_t{42}));
  EXPECT_EQ(Get(5, "age"), Value());
  EXPECT_EQ(Get(3, "score"), Value(1.5));
  auto cols = repo_->Read(*g_, std::vector<Value>{int64_t{1}}, {g_->FindFeature("age")}, 1777636800000000 + 1000);
  ASSERT_TRUE(cols.ok());
  EXPECT_EQ(Cell(*(*cols)[0], 0), Value(int64_t{1}));  // event time is exactly 1 ms after the epoch base
}

TEST_F(IngestTest, FileErrorsStopBeforeAnyWrite) {
  WriteText(dir_.path() / "good.csv", "user_id,ts,age\n1,2026-05-01T00:00:00Z,3\n");
  WriteText(dir_.path() / "nokey.csv", "uid,ts,age\n1,2026-05-01T00:00:00Z,3\n");
  auto s = IngestFiles(*repo_, *g_, {(dir_.path() / "good.csv").string(), (dir_.path() / "nokey.csv").string()});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("no column 'user_id' (the key of entity user)"));
  EXPECT_EQ(repo_->last_write_seq(), 0u);
  auto missing = IngestFiles(*repo_, *g_, {(dir_.path() / "nope.csv").string()});
  EXPECT_THAT(missing.status().message(), HasSubstr("does not exist"));
  auto ext = IngestFiles(*repo_, *g_, {(dir_.path() / "strata.yaml").string()});
  EXPECT_THAT(ext.status().message(), HasSubstr("unknown extension '.yaml'"));
  WriteText(dir_.path() / "bad.parquet", "not parquet at all");
  auto bad = IngestFiles(*repo_, *g_, {(dir_.path() / "bad.parquet").string()});
  EXPECT_THAT(bad.status().message(), HasSubstr("bad.parquet"));
  WriteText(dir_.path() / "empty.csv", "user_id,ts,age\n");
  auto empty = IngestFiles(*repo_, *g_, {(dir_.path() / "empty.csv").string()});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->accepted, 0u);
}

TEST_F(IngestTest, WriteSeqFollowsFileOrderAcrossBatches) {
  std::string csv = "user_id,ts,age\n";
  for (int i = 0; i < 1000; ++i) csv += "7,2026-05-01T00:00:00Z," + std::to_string(i) + "\n";  // all tied in time
  WriteText(dir_.path() / "ties.csv", csv);
  IngestOptions o;
  o.batch_rows = 64;
  o.commit_rows = 64;
  int commits = 0;
  o.on_commit = [&](uint64_t, uint64_t) { ++commits; };
  auto s = IngestFiles(*repo_, *g_, {(dir_.path() / "ties.csv").string()}, o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->last_write_seq, 1000u);
  EXPECT_EQ(commits, 16);
  EXPECT_EQ(Get(7, "age"), Value(int64_t{999}));  // the last row in the file wins the tie
}

}  // namespace
}  // namespace strata
