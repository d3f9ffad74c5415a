// Streaming ingestion: the stream configuration, StreamWriter's exactly-once protocol (online
// first with the positions, offline batched, pending batches recovered after a crash), and
// KafkaStream end to end against librdkafka's mock cluster.

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <fstream>

#include "strata/core/time.h"
#include "strata/ingest/kafka_stream.h"
#include "strata/ingest/stream_config.h"
#include "strata/offline/offline_store.h"
#include "strata/store/group_scan.h"
#include "strata/store/online_backup.h"
#include "strata/store/stream_writer.h"
#include "test_repo.h"

namespace strata {
namespace {

using testing::Cell;
using testing::ListCell;
using testing::MakeRepo;
using testing::Row;
using testing::TempDir;

constexpr const char* kDefs = R"(entities:
  user: {key: user_id, type: int64}
feature_groups:
  profile:
    entity: user
    event_time: ts
    features: {age: int64}
  clicks:
    entity: user
    kind: sequence
    event_time: ts
    max_length: 50
    features: {item: int64}
)";

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

// --- KafkaStream against librdkafka's mock cluster ---

class MockKafka {
 public:
  explicit MockKafka(int partitions) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    cluster_ = rd_kafka_handle_mock_cluster(producer_);
    rd_kafka_mock_topic_create(cluster_, "clicks", partitions, 1);
  }
  ~MockKafka() { rd_kafka_destroy(producer_); }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void Produce(const std::string& key, const std::string& value) {
    ASSERT_EQ(rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC("clicks"), RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void Flush() { ASSERT_EQ(rd_kafka_flush(producer_, 30'000), RD_KAFKA_RESP_ERR_NO_ERROR); }

 private:
  rd_kafka_t* producer_;
  rd_kafka_mock_cluster_t* cluster_;
};

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
  StreamConfig c;
  c.name = "t";
  c.kafka = {{"bootstrap.servers", kafka.bootstrap()}, {"session.timeout.ms", "6000"}};
  c.topics = {StreamTopic{"clicks", "clicks", "json", {{"user_id", "uid"}}}};
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

}  // namespace
}  // namespace strata
