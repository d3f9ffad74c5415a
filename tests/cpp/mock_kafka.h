#pragma once
// A librdkafka mock cluster with one topic, "clicks", and a producer for it (stream tests).

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>

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

}  // namespace strata::testing
