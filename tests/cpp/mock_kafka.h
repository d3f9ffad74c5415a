#pragma once
// A librdkafka mock cluster with one topic, "clicks", and a producer for it; the stream
// configuration and the read that the stream tests share.

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <optional>
#include <string>
#include <vector>

#include "strata/ingest/stream_config.h"
#include "strata/store/feature_repository.h"
#include "test_repo.h"

namespace strata::testing {

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

// Definitions with group "clicks" (a sequence of items per user) for the stream to write.
inline constexpr const char* kClicksRepo = R"(entities:
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

// A stream.yaml at `path` whose only topic entry (on line 3) is `topic` does not parse, and the
// error names that line.
inline void ExpectTopicRefusedOnItsLine(const std::string& topic, const std::string& path) {
  auto r = ParseStreamConfig("kafka: {bootstrap.servers: \"k:9092\"}\ntopics:\n  - " + topic + "\n", path);
  EXPECT_FALSE(r.ok()) << topic;
  if (!r.ok()) {
    EXPECT_NE(r.status().message().find("stream.yaml:3"), std::string::npos) << r.status().message();
  }
}

// A stream reading the cluster's "clicks" topic into group "clicks" in `format`, the key from
// field "uid", committing offline every 64 rows.
inline StreamConfig ClicksStream(const std::string& name, const MockKafka& kafka, const std::string& format) {
  StreamConfig c;
  c.name = name;
  c.kafka = {{"bootstrap.servers", kafka.bootstrap()}, {"session.timeout.ms", "6000"}};
  StreamTopic topic;
  topic.topic = "clicks";
  topic.group = "clicks";
  topic.format = format;
  topic.fields = {{"user_id", "uid"}};
  c.topics = {topic};
  c.commit_rows = 64;
  return c;
}

// The first feature of group "clicks" for `user` as of `as_of`, newest first (nullopt: null).
inline std::optional<std::vector<Value>> NewestClicks(FeatureRepository& repo, int64_t user, int64_t as_of) {
  const auto& clicks = **repo.FindGroup("clicks");
  auto seq = repo.Read(clicks, std::vector<Value>{user}, {&clicks.features[0]}, as_of);
  EXPECT_TRUE(seq.ok()) << seq.status().ToString();
  return seq.ok() ? ListCell(*(*seq)[0], 0) : std::nullopt;
}

}  // namespace strata::testing
