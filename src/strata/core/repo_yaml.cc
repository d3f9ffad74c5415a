#include "strata/core/repo_yaml.h"

#include <yaml-cpp/yaml.h>

#include <set>

namespace strata {

namespace {

// Carries the file name and builds "file:line: path: message" errors.
class YamlContext {
 public:
  explicit YamlContext(std::string source) : source_(std::move(source)) {}

  Status Error(const YAML::Node& node, const std::string& path, const std::string& message) const {
    std::string where = source_;
    if (node.IsDefined() && node.Mark().line >= 0) where += ":" + std::to_string(node.Mark().line + 1);
    return Status::InvalidArgument(where + ": " + path + ": " + message);
  }

  Result<std::string> String(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) return Error(node, path, "expected a string");
    return node.Scalar();
  }

  Status CheckKeys(const YAML::Node& map, const std::string& path, const std::set<std::string>& allowed) const {
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      if (!allowed.count(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return Error(kv.first, path.empty() ? key : path + "." + key, "unknown key; expected one of: " + list);
      }
    }
    return Status::OK();
  }

 private:
  std::string source_;
};

bool IsIdentifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

Result<int64_t> ParseDurationAt(const YamlContext& ctx, const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) return ctx.Error(node, path, "expected a duration like 30d, 12h (units s, m, h, d)");
  auto d = ParseDuration(node.Scalar());
  if (!d.ok()) return ctx.Error(node, path, "expected a duration like 30d, 12h (units s, m, h, d), got '" + node.Scalar() + "'");
  return *d;
}

Result<FeatureDef> ParseFeature(const YamlContext& ctx, const std::string& name, const YAML::Node& node,
                                const std::string& path) {
  FeatureDef f;
  f.name = name;
  // yaml-cpp nodes are references: assigning one node to another rewrites the document,
  // so every node here is bound once, at construction.
  const YAML::Node type_node = node.IsMap() ? node["type"] : node;
  const YAML::Node quant_node = node.IsMap() ? node["quantization"] : YAML::Node();
  std::string quant = "none";
  if (node.IsMap()) {
    STRATA_RETURN_NOT_OK(ctx.CheckKeys(node, path, {"type", "quantization"}));
    if (!type_node) return ctx.Error(node, path, "missing key 'type'");
    if (quant_node) {
      STRATA_ASSIGN_OR_RETURN(quant, ctx.String(quant_node, path + ".quantization"));
    }
  }
  if (!type_node.IsScalar()) return ctx.Error(type_node, path, "expected a type such as int64 or {type: ..., quantization: ...}");
  auto type = DataType::Parse(type_node.Scalar());
  if (!type.ok()) return ctx.Error(type_node, path, type.status().message());
  f.type = *type;
  auto q = ParseQuantization(quant);
  if (!q.ok()) return ctx.Error(quant_node, path + ".quantization", q.status().message());
  if (*q != Quantization::kNone && f.type.id != TypeId::kVector)
    return ctx.Error(quant_node, path + ".quantization", "quantization applies only to vector<float32,D> features");
  f.type.quantization = *q;
  return f;
}

Result<FeatureGroupDef> ParseGroup(const YamlContext& ctx, const RepoDefinition& repo, const std::string& name,
                                   const YAML::Node& node) {
  const std::string path = "feature_groups." + name;
  if (!IsIdentifier(name)) return ctx.Error(node, path, "a group name must be an identifier ([A-Za-z_][A-Za-z0-9_]*)");
  if (name[0] == '_') return ctx.Error(node, path, "group names starting with '_' are reserved for Strata's own tables (e.g. _feature_log)");
  if (!node.IsMap()) return ctx.Error(node, path, "expected a mapping with entity, features, ...");
  STRATA_RETURN_NOT_OK(ctx.CheckKeys(node, path, {"entity", "kind", "event_time", "ttl", "history", "max_length",
                                                  "retention", "features", "description"}));
  FeatureGroupDef g;
  g.name = name;
  if (!node["entity"]) return ctx.Error(node, path, "missing key 'entity'");
  STRATA_ASSIGN_OR_RETURN(g.entity, ctx.String(node["entity"], path + ".entity"));
  const EntityDef* entity = repo.FindEntity(g.entity);
  if (!entity) return ctx.Error(node["entity"], path + ".entity", "unknown entity '" + g.entity + "'; declare it under entities:");
  if (node["kind"]) {
    STRATA_ASSIGN_OR_RETURN(std::string kind, ctx.String(node["kind"], path + ".kind"));
    if (kind == "table") g.kind = GroupKind::kTable;
    else if (kind == "sequence") g.kind = GroupKind::kSequence;
    else return ctx.Error(node["kind"], path + ".kind", "expected table or sequence, got '" + kind + "'");
  }
  if (node["event_time"]) {
    STRATA_ASSIGN_OR_RETURN(g.event_time, ctx.String(node["event_time"], path + ".event_time"));
    if (!IsIdentifier(g.event_time)) return ctx.Error(node["event_time"], path + ".event_time", "expected a column name");
  }
  if (node["ttl"]) {
    if (g.kind != GroupKind::kTable)
      return ctx.Error(node["ttl"], path + ".ttl", "ttl applies to table groups; a sequence group uses retention");
    STRATA_ASSIGN_OR_RETURN(int64_t ttl, ParseDurationAt(ctx, node["ttl"], path + ".ttl"));
    if (ttl <= 0) return ctx.Error(node["ttl"], path + ".ttl", "expected a positive duration");
    g.ttl = ttl;
  }
  if (node["history"]) {
    STRATA_ASSIGN_OR_RETURN(g.history, ParseDurationAt(ctx, node["history"], path + ".history"));
  }
  if (g.kind == GroupKind::kSequence) {
    if (!node["max_length"]) return ctx.Error(node, path, "a sequence group needs max_length (the most events kept per key)");
    int64_t ml = 0;
    try {
      ml = node["max_length"].as<int64_t>();
    } catch (const YAML::Exception&) {
      return ctx.Error(node["max_length"], path + ".max_length", "expected a positive integer");
    }
    if (ml <= 0 || ml > 100000) return ctx.Error(node["max_length"], path + ".max_length", "expected an integer in 1..100000");
    g.max_length = static_cast<int32_t>(ml);
    if (node["retention"]) {
      STRATA_ASSIGN_OR_RETURN(int64_t r, ParseDurationAt(ctx, node["retention"], path + ".retention"));
      if (r <= 0) return ctx.Error(node["retention"], path + ".retention", "expected a positive duration");
      g.retention = r;
    }
  } else {
    if (node["max_length"]) return ctx.Error(node["max_length"], path + ".max_length", "max_length applies to sequence groups (kind: sequence)");
    if (node["retention"]) return ctx.Error(node["retention"], path + ".retention", "retention applies to sequence groups; a table group uses ttl");
  }
  const YAML::Node features = node["features"];
  if (!features || !features.IsMap() || features.size() == 0)
    return ctx.Error(features ? features : node, path + ".features", "expected a non-empty mapping of feature name to type");
  for (const auto& kv : features) {
    const std::string fname = kv.first.Scalar();
    const std::string fpath = path + ".features." + fname;
    if (!IsIdentifier(fname)) return ctx.Error(kv.first, fpath, "a feature name must be an identifier");
    if (fname == entity->key || fname == g.event_time || fname == "write_seq")
      return ctx.Error(kv.first, fpath,
                       "a feature cannot be named like the entity key, the event_time column or write_seq (columns of the offline table)");
    if (g.FindFeature(fname)) return ctx.Error(kv.first, fpath, "duplicate feature");
    STRATA_ASSIGN_OR_RETURN(FeatureDef f, ParseFeature(ctx, fname, kv.second, fpath));
    g.features.push_back(std::move(f));
  }
  return g;
}

}  // namespace

Result<RepoDefinition> ParseRepoYaml(const std::string& text, const std::string& source_name) {
  YamlContext ctx(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(source_name + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
  if (!root.IsMap()) return Status::InvalidArgument(source_name + ": expected a mapping with project, entities, feature_groups");
  RepoDefinition repo;
  try {
    // `streams:` (Kafka streams by name) is read by the ingest layer (ParseRepoStreams).
    STRATA_RETURN_NOT_OK(ctx.CheckKeys(root, "", {"project", "online", "offline", "serving", "entities", "feature_groups", "streams"}));
    if (!root["project"]) return ctx.Error(root, "project", "missing key 'project'");
    STRATA_ASSIGN_OR_RETURN(repo.project, ctx.String(root["project"], "project"));
    if (const YAML::Node online = root["online"]) {
      if (!online.IsMap()) return ctx.Error(online, "online", "expected a mapping {backend, path, sync, block_cache_mb, row_cache_mb, latest_cache_mb, sequence_cache_mb, bulk_load_rows}");
      STRATA_RETURN_NOT_OK(ctx.CheckKeys(online, "online", {"backend", "path", "sync", "block_cache_mb", "row_cache_mb", "latest_cache_mb", "sequence_cache_mb", "bulk_load_rows"}));
      for (auto [key, target] : {std::pair{"block_cache_mb", &repo.online.block_cache_mb}, std::pair{"row_cache_mb", &repo.online.row_cache_mb},
                                 std::pair{"latest_cache_mb", &repo.online.latest_cache_mb},
                                 std::pair{"sequence_cache_mb", &repo.online.sequence_cache_mb}}) {
        if (!online[key]) continue;
        int64_t mb = -1;
        try {
          mb = online[key].as<int64_t>();
        } catch (const YAML::Exception&) {
        }
        if (mb < 0 || mb > (1 << 20)) return ctx.Error(online[key], std::string("online.") + key, "expected a size in MiB (0..1048576)");
        *target = mb;
      }
      if (online["bulk_load_rows"]) {
        int64_t rows = -1;
        try {
          rows = online["bulk_load_rows"].as<int64_t>();
        } catch (const YAML::Exception&) {
        }
        if (rows < 0 || rows > 1'000'000'000)
          return ctx.Error(online["bulk_load_rows"], "online.bulk_load_rows", "expected a number of rows (0..1000000000; 0 never bulk-loads)");
        repo.online.bulk_load_rows = rows;
      }
      if (online["backend"]) {
        STRATA_ASSIGN_OR_RETURN(repo.online.backend, ctx.String(online["backend"], "online.backend"));
        if (repo.online.backend != "rocksdb")
          return ctx.Error(online["backend"], "online.backend", "expected rocksdb (the only online backend in this version)");
      }
      if (online["path"]) {
        STRATA_ASSIGN_OR_RETURN(repo.online.path, ctx.String(online["path"], "online.path"));
      }
      if (online["sync"]) {
        try {
          repo.online.sync = online["sync"].as<bool>();
        } catch (const YAML::Exception&) {
          return ctx.Error(online["sync"], "online.sync", "expected true or false");
        }
      }
    }
    if (const YAML::Node offline = root["offline"]) {
      if (!offline.IsMap()) return ctx.Error(offline, "offline", "expected a mapping {warehouse, catalog}");
      STRATA_RETURN_NOT_OK(ctx.CheckKeys(offline, "offline", {"warehouse", "catalog", "commit_rows"}));
      if (offline["warehouse"]) {
        STRATA_ASSIGN_OR_RETURN(repo.offline.warehouse, ctx.String(offline["warehouse"], "offline.warehouse"));
      }
      if (offline["catalog"]) {
        STRATA_ASSIGN_OR_RETURN(repo.offline.catalog, ctx.String(offline["catalog"], "offline.catalog"));
      }
      if (offline["commit_rows"]) {
        try {
          repo.offline.commit_rows = offline["commit_rows"].as<int64_t>();
        } catch (const YAML::Exception&) {
          repo.offline.commit_rows = 0;
        }
        if (repo.offline.commit_rows <= 0)
          return ctx.Error(offline["commit_rows"], "offline.commit_rows", "expected a positive number of rows");
      }
    }
    if (const YAML::Node serving = root["serving"]) {
      if (!serving.IsMap()) return ctx.Error(serving, "serving", "expected a mapping {log_features}");
      STRATA_RETURN_NOT_OK(ctx.CheckKeys(serving, "serving", {"log_features"}));
      if (serving["log_features"]) {
        try {
          repo.serving.log_features = serving["log_features"].as<bool>();
        } catch (const YAML::Exception&) {
          return ctx.Error(serving["log_features"], "serving.log_features", "expected true or false");
        }
      }
    }
    const YAML::Node entities = root["entities"];
    if (!entities || !entities.IsMap() || entities.size() == 0)
      return ctx.Error(entities ? entities : root, "entities", "expected a non-empty mapping like user: {key: user_id, type: int64}");
    for (const auto& kv : entities) {
      EntityDef e;
      e.name = kv.first.Scalar();
      const std::string path = "entities." + e.name;
      if (!IsIdentifier(e.name)) return ctx.Error(kv.first, path, "an entity name must be an identifier");
      if (repo.FindEntity(e.name)) return ctx.Error(kv.first, path, "duplicate entity");
      const YAML::Node& n = kv.second;
      if (!n.IsMap()) return ctx.Error(n, path, "expected {key: <column>, type: int64|string}");
      STRATA_RETURN_NOT_OK(ctx.CheckKeys(n, path, {"key", "type", "description"}));
      if (!n["key"]) return ctx.Error(n, path, "missing key 'key' (the entity key column, e.g. user_id)");
      STRATA_ASSIGN_OR_RETURN(e.key, ctx.String(n["key"], path + ".key"));
      if (!IsIdentifier(e.key)) return ctx.Error(n["key"], path + ".key", "expected a column name");
      std::string type = "int64";
      if (n["type"]) {
        STRATA_ASSIGN_OR_RETURN(type, ctx.String(n["type"], path + ".type"));
      }
      if (type == "int64") e.key_type = KeyType::kInt64;
      else if (type == "string") e.key_type = KeyType::kString;
      else return ctx.Error(n["type"], path + ".type", "expected int64 or string, got '" + type + "'");
      repo.entities.push_back(std::move(e));
    }
    const YAML::Node groups = root["feature_groups"];
    if (groups && !groups.IsMap()) return ctx.Error(groups, "feature_groups", "expected a mapping of group name to definition");
    if (groups) {
      for (const auto& kv : groups) {
        const std::string name = kv.first.Scalar();
        if (repo.FindGroup(name)) return ctx.Error(kv.first, "feature_groups." + name, "duplicate feature group");
        STRATA_ASSIGN_OR_RETURN(FeatureGroupDef g, ParseGroup(ctx, repo, name, kv.second));
        repo.groups.push_back(std::move(g));
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source_name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return repo;
}

std::string RepoYamlTemplate(const std::string& project, bool example) {
  std::string out =
      "# Strata feature repository. Docs: docs/feature-repository.md\n"
      "project: " + project + "\n"
      "\n"
      "# Online store (inference state). backend: rocksdb (embedded). Paths are relative to this file.\n"
      "# sync: fsync the write-ahead log at each acknowledged batch (default true).\n"
      "# block_cache_mb (default 512), row_cache_mb (256), latest_cache_mb (256, table rows) and\n"
      "# sequence_cache_mb (256, sequences): memory for hot data. bulk_load_rows (100000): ingest writes\n"
      "# of this many rows go in as SST files (no log, no memtable); 0 never.\n"
      "online: {backend: rocksdb, path: .strata/online}\n"
      "\n"
      "# Offline store (training data base): one Apache Iceberg table per group under this warehouse,\n"
      "# registered in a SQL catalog (a SQLite file, or postgresql://user:pass@host/db) that Spark's\n"
      "# JDBC catalog and pyiceberg's SqlCatalog read. commit_rows: rows per snapshot at most.\n"
      "offline: {warehouse: .strata/warehouse, catalog: .strata/catalog.db}\n"
      "\n"
      "# Feature server (`strata serve`): log_features appends every served response to the\n"
      "# offline table _feature_log (request id, time, keys, values), off the request path.\n"
      "serving: {log_features: false}\n"
      "\n"
      "# Entities: a name, its key column and the key type (int64 | string).\n"
      "entities:\n";
  if (!example) {
    return out +
           "  user: {key: user_id, type: int64}\n"
           "\n"
           "# Feature groups: one entity, an event-time column, typed features.\n"
           "#   kind: table (default; one current value per key, history kept for as-of reads)\n"
           "#         | sequence (append-only events per key, newest first; needs max_length)\n"
           "#   ttl: 30d        table groups: a row is visible for this long after its event time\n"
           "#   history: 7d     how far back online as-of reads are exact (default 7d)\n"
           "#   retention: 90d  sequence groups: events older than this are dropped\n"
           "# Types: bool int32 int64 float32 float64 string bytes timestamp list<int64>\n"
           "#        list<float32> list<string> vector<float32,D> ({type: ..., quantization: none|float16|int8})\n"
           "feature_groups:\n"
           "  user_profile:\n"
           "    entity: user\n"
           "    event_time: ts\n"
           "    features: {age: int32, country: string}\n";
  }
  return out +
         "  user: {key: user_id, type: int64}\n"
         "  item: {key: item_id, type: int64}\n"
         "\n"
         "# Feature groups: one entity, an event-time column, typed features.\n"
         "#   kind: table (default) | sequence;  ttl (tables), max_length + retention (sequences),\n"
         "#   history: how far back online as-of reads are exact (default 7d).\n"
         "feature_groups:\n"
         "  user_profile:            # the latest profile of each user\n"
         "    entity: user\n"
         "    kind: table\n"
         "    event_time: ts\n"
         "    ttl: 30d               # a profile older than 30 days reads as null\n"
         "    features: {age: int32, country: string, ctr_7d: float32}\n"
         "  user_clicks:             # each user's newest clicks, newest first\n"
         "    entity: user\n"
         "    kind: sequence\n"
         "    event_time: ts\n"
         "    max_length: 200\n"
         "    retention: 90d\n"
         "    features: {item_id: int64, dwell_ms: int32}\n"
         "  item_features:           # item metadata and statistics, recomputed nightly\n"
         "    entity: item\n"
         "    event_time: ts\n"
         "    ttl: 7d\n"
         "    features: {category: int64, price: float32, ctr_7d: float32}\n"
         "  item_embedding:          # one embedding per item, stored as int8 with a per-row scale\n"
         "    entity: item\n"
         "    event_time: ts\n"
         "    features:\n"
         "      vec: {type: \"vector<float32,64>\", quantization: int8}\n"
         "\n"
         "# Kafka streams into the groups (docs/streaming.md): `strata stream` runs one,\n"
         "# `strata serve --stream clicks` runs it inside the server.\n"
         "# streams:\n"
         "#   clicks:\n"
         "#     kafka: {bootstrap.servers: \"localhost:9092\"}\n"
         "#     topics: [{topic: clicks, group: user_clicks}]\n";
}

}  // namespace strata
