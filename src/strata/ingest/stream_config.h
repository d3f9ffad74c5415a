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

// Parses a stream.yaml `text` (from `path`, for messages); errors name the line and the key.
Result<StreamConfig> ParseStreamConfig(const std::string& text, const std::string& path);

// The streams of a strata.yaml's `streams:` section (each named by its key; the same keys as a
// stream.yaml otherwise; schema files relative to strata.yaml's folder). Empty without one.
Result<std::vector<StreamConfig>> ParseRepoStreams(const std::string& text, const std::string& path);

// A stream by where it is: the file `config_file` if given, else the stream `name` (empty: the
// only one) of the repository's strata.yaml. Errors say which files and names there are.
Result<StreamConfig> LoadStreamConfig(const std::string& repo_dir, const std::string& config_file, const std::string& name);

// The stream called `name` (empty: the only one) of `streams` (read from `path`), or an error
// that says which there are.
Result<StreamConfig> SelectStream(std::vector<StreamConfig> streams, const std::string& name, const std::string& path);

}  // namespace strata
