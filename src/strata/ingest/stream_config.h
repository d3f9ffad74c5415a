#pragma once
// The configuration of `strata stream` (a YAML file; docs/streaming.md).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "strata/core/status.h"

namespace strata {

struct StreamTopic {
  std::string topic;
  std::string group;                          // the feature group its messages write
  std::string format = "json";                // json, avro or protobuf
  std::map<std::string, std::string> fields;  // column -> the message field that holds it
  std::string avro_schema;                    // avro: the writer schema (JSON text)
  std::string proto_file;                     // protobuf: the .proto file (a path)
  std::string proto_message;                  // protobuf: the message type's full name (empty: the file's only one)
  bool confluent_framing = false;             // avro, protobuf: messages start with 0 and a 4-byte schema id
};

struct StreamConfig {
  std::string name = "default";                   // the stream's id in the store
  std::map<std::string, std::string> kafka;       // librdkafka properties, passed through
  std::vector<StreamTopic> topics;
  int64_t commit_rows = 500'000;                  // offline commit every N rows...
  int64_t commit_interval_ms = 10'000;            // ...or T
  int64_t max_batch_messages = 10'000;            // messages per online write at most
  int64_t max_wait_ms = 100;                      // how long a poll batch waits for messages
  int64_t max_message_bytes = 1 << 20;            // larger messages go to the dead letters
  std::string dead_letter_file = ".strata/stream-rejected.jsonl";  // JSON lines: reason, topic, partition, offset, payload
  std::string dead_letter_topic;                  // or a topic (same record as the message value)
  std::string start = "earliest";                 // where a partition with no stored offset starts
};

// Parses `text` (from `path`, for messages); errors name the line and the key.
Result<StreamConfig> ParseStreamConfig(const std::string& text, const std::string& path);

}  // namespace strata
