// Streaming ingestion: the stream configuration, Avro messages, StreamWriter's exactly-once protocol (online
// first with the positions, offline batched, pending batches recovered after a crash), and
// KafkaStream end to end against librdkafka's mock cluster.

#include <avro.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstring>
#include <fstream>
#include <thread>
#include <optional>
#include <random>

#include "strata/core/time.h"
#include "strata/ingest/avro_row_decoder.h"
#include "strata/ingest/kafka_stream.h"
#include "strata/ingest/stream_config.h"
#include "strata/offline/offline_store.h"
#include "strata/store/group_scan.h"
#include "strata/store/online_backup.h"
#include "strata/store/stream_writer.h"
#include "mock_kafka.h"
#include "test_repo.h"

namespace strata {
namespace {

using testing::Cell;
using testing::ListCell;
using testing::MakeRepo;
using testing::MockKafka;
using testing::Row;
using testing::TempDir;

using testing::kClicksRepo;
constexpr const char* kDefs = kClicksRepo;

int64_t Now() { return testing::RecentMicros(); }

int64_t OfflineRows(FeatureRepository& repo, const std::string& group) {
  auto scan = ScanGroup(repo, **repo.FindGroup(group), {});
  EXPECT_TRUE(scan.ok()) << scan.status().ToString();
  if (!scan.ok() || !scan->scan) return 0;
  int64_t rows = 0;
  while (true) {
    auto batch = scan->scan->Next();
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    if (!batch.ok() || !*batch) break;
    rows += (*batch)->num_rows();
  }
  return rows;
}

TEST(StreamConfig, ParsesAndNamesTheLineOfAMistake) {
  auto c = ParseStreamConfig(R"(name: s1
kafka: {bootstrap.servers: "h:9092", security.protocol: SASL_SSL}
topics:
  - {topic: clicks, group: clicks, fields: {user_id: uid}}
commit: {rows: 1000, interval: 500ms}
batch: {max_messages: 10, max_wait: 1s}
dead_letter: {topic: rejected}
)", "s.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->kafka.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(c->topics[0].fields.at("user_id"), "uid");
  EXPECT_EQ(c->commit_interval_ms, 500);
  EXPECT_EQ(c->max_wait_ms, 1000);
  EXPECT_EQ(c->dead_letter_topic, "rejected");
  auto bad = ParseStreamConfig("kafka: {bootstrap.servers: h}\ntopics:\n  - {topic: t, group: g, format: avro}\n", "s.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("s.yaml:3"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("avro"), std::string::npos);
  auto unknown = ParseStreamConfig("kafka: {bootstrap.servers: h}\ntopics: [{topic: t, group: g}]\ncomit: {rows: 1}\n", "s.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("s.yaml:3: unknown key 'comit'"), std::string::npos) << unknown.status().message();
  EXPECT_FALSE(ParseStreamConfig("topics: [{topic: t, group: g}]\n", "s.yaml").ok());  // no bootstrap.servers
}

TEST(StreamWriter, ACrashBeforeTheOfflineCommitIsRecoveredAtOpen) {
  TempDir dir;
  auto repo = MakeRepo(dir, kDefs);
  const auto& profile = **repo->FindGroup("profile");
  const auto& clicks = **repo->FindGroup("clicks");
  StreamWriterOptions o;
  o.name = "s";
  o.commit_rows = 5;
  o.commit_interval = std::chrono::hours(1);
  {
    auto w = StreamWriter::Open(*repo, o);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    // 6 rows: due for an offline commit.
    std::vector<FeatureRow> rows;
    for (int i = 0; i < 6; ++i) rows.push_back(Row(int64_t{i}, Now(), {int64_t{100 + i}}));
    ASSERT_TRUE((*w)->Stage(profile, rows).ok());
    ASSERT_TRUE((*w)->Write({{"kafka/t/0", "6"}}).ok());
    ASSERT_TRUE((*w)->WaitForOfflineCommit().ok());  // it runs in the background
    EXPECT_EQ((*w)->offline_commits(), 1u);
    // 3 more, online only, then a "crash" (no CommitOffline).
    ASSERT_TRUE((*w)->Stage(clicks, std::vector<FeatureRow>{Row(int64_t{1}, Now(), {int64_t{7}}), Row(int64_t{1}, Now() + 1, {int64_t{8}})}).ok());
    ASSERT_TRUE((*w)->Stage(profile, std::vector<FeatureRow>{Row(int64_t{0}, Now() + 1, {int64_t{99}})}).ok());
    ASSERT_TRUE((*w)->Write({{"kafka/t/0", "9"}}).ok());
    // Positions alone (a batch of rejected records) move too.
    ASSERT_TRUE((*w)->Write({{"kafka/t/1", "4"}}).ok());
    EXPECT_EQ((*w)->pending_offline_rows(), 3);
  }
  EXPECT_EQ(OfflineRows(*repo, "profile"), 6);
  EXPECT_EQ(OfflineRows(*repo, "clicks"), 0);
  // Online already serves them.
  auto seq = repo->Read(clicks, std::vector<Value>{int64_t{1}}, {&clicks.features[0]}, Now() + 2);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(ListCell(*(*seq)[0], 0), (std::vector<Value>{int64_t{8}, int64_t{7}}));
  {
    auto w = StreamWriter::Open(*repo, o);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ((*w)->recovery().rows_committed_offline, 3u);
    EXPECT_EQ((*w)->Positions("kafka/")->at("kafka/t/0"), "9");
    EXPECT_EQ((*w)->Positions("kafka/")->at("kafka/t/1"), "4");
  }
  EXPECT_EQ(OfflineRows(*repo, "profile"), 7);
  EXPECT_EQ(OfflineRows(*repo, "clicks"), 2);
  // Recovered once: a second open finds nothing pending.
  auto again = StreamWriter::Open(*repo, o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->recovery().batches, 0u);
  EXPECT_EQ(repo->last_write_seq(), 9u);
}

// A restored online backup catches up from the offline tables, positions included: the stream
// resumes after the last offline commit, not at the backup's older positions.
TEST(StreamWriter, ARestoredBackupResumesAtTheLastOfflineCommit) {
  TempDir dir, backups;
  StreamWriterOptions o;
  o.name = "s";
  o.commit_rows = 1'000'000;
  {
    auto repo = MakeRepo(dir, kDefs);
    const auto& clicks = **repo->FindGroup("clicks");
    auto w = StreamWriter::Open(*repo, o);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Stage(clicks, std::vector<FeatureRow>{Row(int64_t{1}, Now(), {int64_t{1}})}).ok());
    ASSERT_TRUE((*w)->Write({{"kafka/t/0", "1"}}).ok());
    ASSERT_TRUE((*w)->CommitOffline().ok());
    ASSERT_TRUE(BackupOnlineStore(*repo, (backups.path() / "b").string()).ok());
    ASSERT_TRUE((*w)->Stage(clicks, std::vector<FeatureRow>{Row(int64_t{1}, Now() + 1, {int64_t{2}})}).ok());
    ASSERT_TRUE((*w)->Write({{"kafka/t/0", "2"}}).ok());
    ASSERT_TRUE((*w)->CommitOffline().ok());
    // Consumed but not yet offline: lost with the replaced store, consumed again after restore.
    ASSERT_TRUE((*w)->Stage(clicks, std::vector<FeatureRow>{Row(int64_t{1}, Now() + 2, {int64_t{3}})}).ok());
    ASSERT_TRUE((*w)->Write({{"kafka/t/0", "3"}}).ok());
  }
  auto restored = RestoreOnlineStore(dir.str(), (backups.path() / "b").string());
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->replayed_rows, 1u);
  auto repo = FeatureRepository::Open(dir.str());
  ASSERT_TRUE(repo.ok());
  auto w = StreamWriter::Open(**repo, o);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->Positions()->at("kafka/t/0"), "2");
  EXPECT_EQ(OfflineRows(**repo, "clicks"), 2);
}

// --- Avro messages ---

// The writer schema of the click events below: a renamed key, an optional field, an enum.
constexpr const char* kClickSchema = R"({"type": "record", "name": "Click", "fields": [
  {"name": "uid", "type": "long"},
  {"name": "ts", "type": "long"},
  {"name": "item", "type": ["null", "long"]},
  {"name": "surface", "type": {"type": "enum", "name": "Surface", "symbols": ["HOME", "SEARCH"]}},
  {"name": "tags", "type": {"type": "array", "items": "string"}}
]})";

// One Click record, binary-encoded with avro-c (as a producer would), optionally framed.
std::string AvroClick(int64_t uid, int64_t ts, std::optional<int64_t> item, bool confluent = false) {
  avro_schema_t schema = nullptr;
  EXPECT_EQ(avro_schema_from_json_length(kClickSchema, std::strlen(kClickSchema), &schema), 0);
  avro_value_iface_t* iface = avro_generic_class_from_schema(schema);
  avro_value_t rec, field, branch, tag;
  avro_generic_value_new(iface, &rec);
  avro_value_get_by_name(&rec, "uid", &field, nullptr);
  avro_value_set_long(&field, uid);
  avro_value_get_by_name(&rec, "ts", &field, nullptr);
  avro_value_set_long(&field, ts);
  avro_value_get_by_name(&rec, "item", &field, nullptr);
  if (item) {
    avro_value_set_branch(&field, 1, &branch);
    avro_value_set_long(&branch, *item);
  } else {
    avro_value_set_branch(&field, 0, &branch);
    avro_value_set_null(&branch);
  }
  avro_value_get_by_name(&rec, "surface", &field, nullptr);
  avro_value_set_enum(&field, 1);
  avro_value_get_by_name(&rec, "tags", &field, nullptr);
  avro_value_append(&field, &tag, nullptr);
  avro_value_set_string(&tag, "new");
  char buf[256];
  avro_writer_t w = avro_writer_memory(buf, sizeof buf);
  EXPECT_EQ(avro_value_write(w, &rec), 0);
  std::string out(buf, static_cast<size_t>(avro_writer_tell(w)));
  avro_writer_free(w);
  avro_value_decref(&rec);
  avro_value_iface_decref(iface);
  avro_schema_decref(schema);
  return confluent ? std::string("\0\0\0\0\x2a", 5) + out : out;
}

std::unique_ptr<AvroRowDecoder> ClickDecoder(const RepoDefinition& def, bool confluent) {
  const auto& clicks = *def.FindGroup("clicks");
  auto json = std::make_unique<JsonRowDecoder>(*def.FindEntity("user"), clicks, std::map<std::string, std::string>{{"user_id", "uid"}});
  auto d = AvroRowDecoder::Make(kClickSchema, confluent, std::move(json));
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(*d) : nullptr;
}

TEST(AvroRowDecoder, DecodesRecordsOfTheWriterSchemaAndRejectsEverythingElse) {
  TempDir dir;
  auto repo = MakeRepo(dir, kDefs);
  for (bool confluent : {false, true}) {
    auto d = ClickDecoder(repo->definition(), confluent);
    ASSERT_TRUE(d);
    FeatureRow row;
    std::string reason;
    ASSERT_TRUE(d->Decode(AvroClick(7, 1'700'000'000'000'000, 42, confluent), &row, &reason)) << reason;
    EXPECT_EQ(row.key, Value(int64_t{7}));
    EXPECT_EQ(row.event_time, 1'700'000'000'000'000);
    ASSERT_EQ(row.features.size(), 1u);
    EXPECT_EQ(row.features[0], Value(int64_t{42}));
    ASSERT_TRUE(d->Decode(AvroClick(8, 1, std::nullopt, confluent), &row, &reason)) << reason;
    EXPECT_TRUE(IsNull(row.features[0]));  // the union's null branch
    // Fields the group does not read are named once.
    EXPECT_EQ(d->unknown_fields(), (std::vector<std::string>{"surface", "tags"}));

    const std::string good = AvroClick(7, 1, 42, confluent);
    for (size_t cut : {size_t{0}, size_t{1}, good.size() / 2, good.size() - 1}) {
      reason.clear();
      EXPECT_FALSE(d->Decode(std::string_view(good).substr(0, cut), &row, &reason)) << cut;
      EXPECT_FALSE(reason.empty());
    }
    EXPECT_FALSE(d->Decode(good + "x", &row, &reason));
    EXPECT_NE(reason.find("bytes left"), std::string::npos) << reason;
  }
  auto framed = ClickDecoder(repo->definition(), true);
  FeatureRow row;
  std::string reason;
  EXPECT_FALSE(framed->Decode(AvroClick(7, 1, 42, false), &row, &reason));
  EXPECT_NE(reason.find("Confluent framing"), std::string::npos) << reason;
  // Random bytes never crash the reader; they are rejected or (rarely) read as some record.
  auto plain = ClickDecoder(repo->definition(), false);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string junk(rng() % 40, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    reason.clear();
    if (!plain->Decode(junk, &row, &reason)) {
      EXPECT_FALSE(reason.empty());
    }
  }

  const auto& clicks = **repo->FindGroup("clicks");
  const auto& user = repo->EntityOf(clicks);
  EXPECT_FALSE(AvroRowDecoder::Make("{not json", false, std::make_unique<JsonRowDecoder>(user, clicks)).ok());
  auto not_record = AvroRowDecoder::Make(R"("long")", false, std::make_unique<JsonRowDecoder>(user, clicks));
  ASSERT_FALSE(not_record.ok());
  EXPECT_NE(not_record.status().message().find("must be a record"), std::string::npos) << not_record.status().message();
}

TEST(StreamConfig, ReadsAvroTopicsWithTheirSchema) {
  TempDir dir;
  const std::string path = (dir.path() / "stream.yaml").string();
  std::ofstream(dir.path() / "click.avsc") << kClickSchema;
  auto c = ParseStreamConfig(R"(kafka: {bootstrap.servers: "k:9092"}
topics:
  - {topic: clicks, group: clicks, format: avro, schema: click.avsc, framing: confluent}
  - {topic: views, group: clicks, format: avro, schema: '{"type": "record", "name": "V", "fields": []}'}
)", path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->topics[0].avro_schema, kClickSchema);
  EXPECT_TRUE(c->topics[0].confluent_framing);
  EXPECT_NE(c->topics[1].avro_schema.find("\"V\""), std::string::npos);
  EXPECT_FALSE(c->topics[1].confluent_framing);
  for (const char* bad : {"{topic: t, group: clicks, format: avro}", "{topic: t, group: clicks, format: avro, schema: missing.avsc}",
                          "{topic: t, group: clicks, schema: click.avsc}", "{topic: t, group: clicks, format: protobuf}",
                          "{topic: t, group: clicks, format: avro, schema: click.avsc, framing: magic}"}) {
    testing::ExpectTopicRefusedOnItsLine(bad, path);
  }
}

TEST(StreamConfig, StreamsOfStrataYamlAreNamedByTheirKeyAndPickedByName) {
  TempDir dir;
  auto repo = MakeRepo(dir, std::string(kDefs) + R"(streams:
  clicks:
    kafka: {bootstrap.servers: "k:9092"}
    topics: [{topic: clicks, group: clicks, format: avro, schema: click.avsc}]
    commit: {rows: 1000}
  profiles:
    kafka: {bootstrap.servers: "k:9092"}
    topics: [{topic: profiles, group: profile}]
)");
  std::ofstream(dir.path() / "click.avsc") << kClickSchema;  // relative to strata.yaml's folder
  auto one = LoadStreamConfig(dir.str(), "", "clicks");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->name, "clicks");
  EXPECT_EQ(one->commit_rows, 1000);
  EXPECT_EQ(one->topics[0].avro_schema, kClickSchema);
  EXPECT_EQ(LoadStreamConfig(dir.str(), "", "profiles")->topics[0].topic, "profiles");
  // Several streams and no name, or an unknown name: the error lists them.
  for (const std::string name : {"", "nope"}) {
    auto r = LoadStreamConfig(dir.str(), "", name);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("clicks, profiles"), std::string::npos) << r.status().message();
  }
  // A mistake inside a stream names the stream and the line of strata.yaml.
  const std::string path = (dir.path() / "strata.yaml").string();
  auto bad = ParseRepoStreams("project: p\nstreams:\n  s1:\n    kafka: {bootstrap.servers: \"k:9092\"}\n    topics: [{topic: t}]\n", path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("streams.s1"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("strata.yaml:5"), std::string::npos) << bad.status().message();
  bad = ParseRepoStreams("streams:\n  s1: {name: x, kafka: {bootstrap.servers: \"k:9092\"}, topics: [{topic: t, group: g}]}\n", path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("named by its key"), std::string::npos) << bad.status().message();
  // No streams: section: empty, and selecting one says so.
  auto none = ParseRepoStreams("project: p\n", path);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_NE(SelectStream({}, "", path).status().message().find("no streams: section"), std::string::npos);
}

// --- KafkaStream against librdkafka's mock cluster ---

TEST(KafkaStream, ConsumesExactlyOnceAndResumesFromTheStoredOffsets) {
  TempDir dir;
  auto repo = MakeRepo(dir, kDefs);
  MockKafka kafka(3);
  int64_t item = 0;
  auto produce = [&](int n) {
    for (int i = 0; i < n; ++i, ++item) {
      const int64_t user = item % 7;
      kafka.Produce(std::to_string(user), "{\"uid\": " + std::to_string(user) + ", \"ts\": " + std::to_string(Now() + item) +
                                              ", \"item\": " + std::to_string(item) + ", \"extra\": 1}");
    }
    kafka.Flush();
  };
  produce(300);
  kafka.Produce("x", "{\"uid\": \"seven\", \"ts\": 1, \"item\": 1}");
  kafka.Produce("x", std::string(3000, '{'));
  kafka.Produce("x", "{\"uid\": 1, \"ts\": 1, \"item\": 1");  // truncated
  kafka.Flush();
  StreamConfig c = testing::ClicksStream("t", kafka, "json");
  c.commit_rows = 100;
  c.max_batch_messages = 64;
  c.max_message_bytes = 2000;
  std::atomic<bool> stop{false};
  {
    auto s = KafkaStream::Open(*repo, c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->Run(stop, /*stop_at_end=*/true).ok());
    EXPECT_EQ((*s)->counters().messages.load(), 303u);
    EXPECT_EQ((*s)->counters().rows.load(), 300u);
    EXPECT_EQ((*s)->counters().rejected.load(), 3u);
    EXPECT_GE((*s)->counters().offline_commits.load(), 3u);
    EXPECT_NE((*s)->RenderMetrics().find("strata_stream_freshness_seconds_bucket"), std::string::npos);
  }
  EXPECT_EQ(OfflineRows(*repo, "clicks"), 300);
  std::ifstream dead(dir.path() / ".strata" / "stream-rejected.jsonl");
  std::string line, all;
  int lines = 0;
  while (std::getline(dead, line)) ++lines, all += line;
  EXPECT_EQ(lines, 3);
  EXPECT_NE(all.find("exceeds max_message_bytes"), std::string::npos);
  EXPECT_NE(all.find("column uid: expected an integer"), std::string::npos);
  EXPECT_NE(all.find("\"partition\":"), std::string::npos);

  // Again: nothing new is consumed twice; new messages are.
  produce(50);
  {
    auto s = KafkaStream::Open(*repo, c);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Run(stop, true).ok());
    EXPECT_EQ((*s)->counters().messages.load(), 50u);
  }
  EXPECT_EQ(OfflineRows(*repo, "clicks"), 350);
  const auto& clicks = **repo->FindGroup("clicks");
  auto seq = repo->Read(clicks, std::vector<Value>{int64_t{0}}, {&clicks.features[0]}, Now() + 1000);
  ASSERT_TRUE(seq.ok());
  auto events = ListCell(*(*seq)[0], 0);
  ASSERT_TRUE(events.has_value());
  EXPECT_EQ(events->size(), 50u);  // items 0, 7, ..., 343 of user 0: max_length 50
  EXPECT_EQ(events->front(), Value(int64_t{343}));
}

TEST(KafkaStream, AnIdleStreamCommitsItsLastRowsOfflineWithinTheInterval) {
  TempDir dir;
  auto repo = MakeRepo(dir, kDefs);
  MockKafka kafka(1);
  for (int i = 0; i < 10; ++i) kafka.Produce("1", "{\"uid\": 1, \"ts\": " + std::to_string(Now()) + ", \"item\": " + std::to_string(i) + "}");
  kafka.Flush();
  StreamConfig c = testing::ClicksStream("idle", kafka, "json");
  c.commit_rows = 1000;  // never reached: only the interval can commit these rows
  c.commit_interval_ms = 300;
  auto s = KafkaStream::Open(*repo, c);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::atomic<bool> stop{false};
  Status run;
  std::thread consumer([&] { run = (*s)->Run(stop, /*stop_at_end=*/false); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (((*s)->counters().rows.load() < 10 || (*s)->counters().offline_commits.load() == 0) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Committed while the stream still runs, with no message after the last rows.
  EXPECT_EQ((*s)->counters().rows.load(), 10u);
  EXPECT_GE((*s)->counters().offline_commits.load(), 1u);
  stop = true;
  consumer.join();
  ASSERT_TRUE(run.ok()) << run.ToString();
  EXPECT_EQ(OfflineRows(*repo, "clicks"), 10);
}

TEST(KafkaStream, ConsumesAvroMessagesInTheConfluentFraming) {
  TempDir dir;
  auto repo = MakeRepo(dir, kDefs);
  MockKafka kafka(2);
  const int64_t t0 = Now();
  for (int i = 0; i < 200; ++i) kafka.Produce(std::to_string(i % 5), AvroClick(i % 5, t0 + i, i, /*confluent=*/true));
  kafka.Produce("x", "{\"uid\": 1, \"ts\": 1, \"item\": 1}");  // JSON on an Avro topic
  kafka.Flush();
  StreamConfig c = testing::ClicksStream("avro", kafka, "avro");
  c.topics[0].avro_schema = kClickSchema;
  c.topics[0].confluent_framing = true;
  std::atomic<bool> stop{false};
  auto s = KafkaStream::Open(*repo, c);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->Run(stop, /*stop_at_end=*/true).ok());
  EXPECT_EQ((*s)->counters().rows.load(), 200u);
  EXPECT_EQ((*s)->counters().rejected.load(), 1u);
  EXPECT_EQ(OfflineRows(*repo, "clicks"), 200);
  auto events = testing::NewestClicks(*repo, 3, t0 + 1000);
  ASSERT_TRUE(events.has_value());
  EXPECT_EQ(events->size(), 40u);
  EXPECT_EQ(events->front(), Value(int64_t{198}));  // user 3's newest: item 198
  // A schema that is not a record stops the stream before it consumes anything.
  c.topics[0].avro_schema = R"("long")";
  auto bad = KafkaStream::Open(*repo, c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("topic clicks"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace strata
