#include "strata/ingest/stream_config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "strata/core/byte_size.h"
#include "strata/core/file_io.h"
#include "strata/core/time.h"

namespace strata {

namespace {

Status Bad(const std::string& path, const YAML::Node& node, const std::string& what) {
  const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  return Status::InvalidArgument(path + (line ? ":" + std::to_string(line) : "") + ": " + what);
}

Result<std::string> Text(const std::string& path, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) return Bad(path, node, key + ": expected a value");
  return node.as<std::string>();
}

Result<int64_t> Positive(const std::string& path, const YAML::Node& node, const std::string& key) {
  STRATA_ASSIGN_OR_RETURN(std::string t, Text(path, node, key));
  try {
    size_t used = 0;
    const long long v = std::stoll(t, &used);
    if (used == t.size() && v > 0) return static_cast<int64_t>(v);
  } catch (...) {
  }
  return Bad(path, node, key + ": expected a positive integer, got '" + t + "'");
}

Result<int64_t> Millis(const std::string& path, const YAML::Node& node, const std::string& key) {
  STRATA_ASSIGN_OR_RETURN(std::string t, Text(path, node, key));
  if (t.size() > 2 && t.substr(t.size() - 2) == "ms") {
    try {
      return static_cast<int64_t>(std::stoll(t.substr(0, t.size() - 2)));
    } catch (...) {
    }
  }
  auto d = ParseDuration(t);
  if (!d.ok() || *d <= 0) return Bad(path, node, key + ": expected a duration like 500ms, 10s or 1m, got '" + t + "'");
  return *d / 1000;
}

Result<YAML::Node> LoadYaml(const std::string& text, const std::string& path) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
}

// One stream's mapping, from a stream.yaml (`in_repo` false) or strata.yaml's `streams:`
// (true: its name is its key there, not a `name:`).
Result<StreamConfig> ParseStreamNode(const YAML::Node& root, const std::string& path, bool in_repo) {
  if (!root.IsMap()) return Bad(path, root, "expected a mapping with kafka: and topics:");
  StreamConfig c;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "name" && in_repo) {
      return Bad(path, kv.first, "name: a stream of strata.yaml is named by its key under streams:");
    } else if (key == "name") {
      STRATA_ASSIGN_OR_RETURN(c.name, Text(path, v, key));
      if (c.name.empty() || c.name.find('/') != std::string::npos) return Bad(path, v, "name: must be non-empty, without '/'");
    } else if (key == "kafka") {
      if (!v.IsMap()) return Bad(path, v, "kafka: expected librdkafka properties (bootstrap.servers: host:port, ...)");
      for (const auto& p : v) {
        STRATA_ASSIGN_OR_RETURN(c.kafka[p.first.as<std::string>()], Text(path, p.second, "kafka." + p.first.as<std::string>()));
      }
    } else if (key == "topics") {
      if (!v.IsSequence() || v.size() == 0) return Bad(path, v, "topics: expected a list of {topic: NAME, group: GROUP}");
      for (const auto& t : v) {
        if (!t.IsMap()) return Bad(path, t, "topics: each entry is {topic: NAME, group: GROUP}");
        StreamTopic st;
        std::string schema;  // as written: read once the format is known
        YAML::Node schema_node;
        for (const auto& f : t) {
          const std::string k = f.first.as<std::string>();
          if (k == "topic") {
            STRATA_ASSIGN_OR_RETURN(st.topic, Text(path, f.second, "topic"));
          } else if (k == "group") {
            STRATA_ASSIGN_OR_RETURN(st.group, Text(path, f.second, "group"));
          } else if (k == "format") {
            STRATA_ASSIGN_OR_RETURN(st.format, Text(path, f.second, "format"));
            if (st.format != "json" && st.format != "avro" && st.format != "protobuf")
              return Bad(path, f.second, "format: '" + st.format + "' is not supported; use json, avro or protobuf");
          } else if (k == "schema") {
            STRATA_ASSIGN_OR_RETURN(schema, Text(path, f.second, "schema"));
            schema_node = f.second;
          } else if (k == "message") {
            STRATA_ASSIGN_OR_RETURN(st.proto_message, Text(path, f.second, "message"));
          } else if (k == "framing") {
            STRATA_ASSIGN_OR_RETURN(std::string fr, Text(path, f.second, "framing"));
            if (fr != "confluent" && fr != "none") return Bad(path, f.second, "framing: expected confluent or none");
            st.confluent_framing = fr == "confluent";
          } else if (k == "fields") {
            if (!f.second.IsMap()) return Bad(path, f.second, "fields: expected {column: message_field}");
            for (const auto& m : f.second) {
              STRATA_ASSIGN_OR_RETURN(st.fields[m.first.as<std::string>()], Text(path, m.second, "fields." + m.first.as<std::string>()));
            }
          } else {
            return Bad(path, f.first, "unknown key '" + k + "' in a topic (expected topic, group, format, schema, message, framing, fields)");
          }
        }
        if (st.topic.empty() || st.group.empty()) return Bad(path, t, "topics: each entry needs topic: and group:");
        // A schema is a file relative to this configuration's folder (Avro's may be inline JSON).
        const auto schema_file = (std::filesystem::path(path).parent_path() / schema).string();
        if (st.format == "avro") {
          if (schema.empty()) return Bad(path, t, "format: avro needs schema: (the writer schema: a .avsc file or inline JSON)");
          if (schema.front() == '{' || schema.front() == '"' || schema.front() == '[') {
            st.avro_schema = schema;
          } else {
            auto text = ReadFileToString(schema_file);
            if (!text.ok()) return Bad(path, schema_node, "schema: cannot read " + schema_file + ": " + text.status().message());
            st.avro_schema = *text;
          }
        } else if (st.format == "protobuf") {
          if (schema.empty()) return Bad(path, t, "format: protobuf needs schema: (the .proto file of the messages)");
          std::error_code ec;
          if (!std::filesystem::is_regular_file(schema_file, ec))
            return Bad(path, schema_node, "schema: cannot read " + schema_file + " (format: protobuf takes a .proto file)");
          st.proto_file = schema_file;
        } else if (!schema.empty() || st.confluent_framing) {
          return Bad(path, t, "schema: and framing: are for format: avro or protobuf");
        }
        if (st.format != "protobuf" && !st.proto_message.empty()) return Bad(path, t, "message: is for format: protobuf");
        c.topics.push_back(std::move(st));
      }
    } else if (key == "commit") {
      if (!v.IsMap()) return Bad(path, v, "commit: expected {rows: N, interval: 10s}");
      for (const auto& f : v) {
        const std::string k = f.first.as<std::string>();
        if (k == "rows") {
          STRATA_ASSIGN_OR_RETURN(c.commit_rows, Positive(path, f.second, "commit.rows"));
        } else if (k == "interval") {
          STRATA_ASSIGN_OR_RETURN(c.commit_interval_ms, Millis(path, f.second, "commit.interval"));
        } else {
          return Bad(path, f.first, "unknown key '" + k + "' in commit (expected rows, interval)");
        }
      }
    } else if (key == "batch") {
      if (!v.IsMap()) return Bad(path, v, "batch: expected {max_messages: N, max_wait: 100ms}");
      for (const auto& f : v) {
        const std::string k = f.first.as<std::string>();
        if (k == "max_messages") {
          STRATA_ASSIGN_OR_RETURN(c.max_batch_messages, Positive(path, f.second, "batch.max_messages"));
        } else if (k == "max_wait") {
          STRATA_ASSIGN_OR_RETURN(c.max_wait_ms, Millis(path, f.second, "batch.max_wait"));
        } else {
          return Bad(path, f.first, "unknown key '" + k + "' in batch (expected max_messages, max_wait)");
        }
      }
    } else if (key == "max_message_bytes") {
      STRATA_ASSIGN_OR_RETURN(std::string t, Text(path, v, key));
      auto b = ParseByteSize(t);
      if (!b.ok() || *b <= 0) return Bad(path, v, "max_message_bytes: expected a size like 1MB");
      c.max_message_bytes = *b;
    } else if (key == "dead_letter") {
      if (!v.IsMap()) return Bad(path, v, "dead_letter: expected {file: PATH} or {topic: NAME}");
      c.dead_letter_file.clear();
      for (const auto& f : v) {
        const std::string k = f.first.as<std::string>();
        if (k == "file") {
          STRATA_ASSIGN_OR_RETURN(c.dead_letter_file, Text(path, f.second, "dead_letter.file"));
        } else if (k == "topic") {
          STRATA_ASSIGN_OR_RETURN(c.dead_letter_topic, Text(path, f.second, "dead_letter.topic"));
        } else {
          return Bad(path, f.first, "unknown key '" + k + "' in dead_letter (expected file, topic)");
        }
      }
    } else if (key == "start") {
      STRATA_ASSIGN_OR_RETURN(c.start, Text(path, v, key));
      if (c.start != "earliest" && c.start != "latest") return Bad(path, v, "start: expected earliest or latest");
    } else {
      return Bad(path, kv.first, "unknown key '" + key + "' (expected name, kafka, topics, commit, batch, max_message_bytes, dead_letter, start)");
    }
  }
  if (c.topics.empty()) return Bad(path, root, "no topics: (expected a list of {topic: NAME, group: GROUP})");
  if (!c.kafka.count("bootstrap.servers")) return Bad(path, root, "kafka: needs bootstrap.servers");
  if (c.dead_letter_file.empty() && c.dead_letter_topic.empty()) return Bad(path, root, "dead_letter: needs file: or topic:");
  return c;
}

}  // namespace

Result<StreamConfig> ParseStreamConfig(const std::string& text, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(text, path));
  return ParseStreamNode(root, path, /*in_repo=*/false);
}

Result<std::vector<StreamConfig>> ParseRepoStreams(const std::string& text, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(text, path));
  std::vector<StreamConfig> out;
  if (!root.IsMap() || !root["streams"]) return out;
  const YAML::Node streams = root["streams"];
  if (!streams.IsMap()) return Bad(path, streams, "streams: expected {NAME: {kafka: ..., topics: [...]}, ...}");
  for (const auto& kv : streams) {
    const std::string name = kv.first.as<std::string>();
    if (name.empty() || name.find('/') != std::string::npos) return Bad(path, kv.first, "streams: a name must be non-empty, without '/'");
    auto c = ParseStreamNode(kv.second, path, /*in_repo=*/true);
    if (!c.ok()) return c.status().WithContext("streams." + name);
    c->name = name;
    out.push_back(std::move(*c));
  }
  return out;
}

Result<StreamConfig> LoadStreamConfig(const std::string& repo_dir, const std::string& config_file, const std::string& name) {
  if (!config_file.empty()) {
    auto text = ReadFileToString(config_file);
    if (!text.ok()) return Status::InvalidArgument(text.status().message());
    return ParseStreamConfig(*text, config_file);
  }
  const std::string repo_yaml = (std::filesystem::path(repo_dir) / "strata.yaml").string();
  auto text = ReadFileToString(repo_yaml);
  if (!text.ok()) return Status::InvalidArgument(text.status().message());
  STRATA_ASSIGN_OR_RETURN(auto streams, ParseRepoStreams(*text, repo_yaml));
  return SelectStream(std::move(streams), name, repo_yaml);
}

Result<StreamConfig> SelectStream(std::vector<StreamConfig> streams, const std::string& name, const std::string& path) {
  std::string names;
  for (const auto& s : streams) names += (names.empty() ? "" : ", ") + s.name;
  if (name.empty()) {
    if (streams.size() == 1) return std::move(streams.front());
    if (streams.empty())
      return Status::InvalidArgument(path + " has no streams: section; give a stream configuration file (--config)");
    return Status::InvalidArgument(path + " defines several streams (" + names + "); name one (--name)");
  }
  for (auto& s : streams)
    if (s.name == name) return std::move(s);
  return Status::InvalidArgument("no stream '" + name + "' in " + path + (names.empty() ? " (it has no streams: section)" : " (it has: " + names + ")"));
}

}  // namespace strata
