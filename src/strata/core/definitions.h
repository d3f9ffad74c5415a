#pragma once
// The feature repository's definitions: entities and feature groups, as declared in
// strata.yaml and as registered by `strata apply` (with stable ids).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/data_type.h"
#include "strata/core/time.h"

namespace strata {

enum class KeyType : uint8_t { kInt64, kString };
enum class GroupKind : uint8_t { kTable, kSequence };

const char* KeyTypeName(KeyType t);
const char* GroupKindName(GroupKind k);

struct EntityDef {
  std::string name;
  std::string key;  // the key column, e.g. user_id
  KeyType key_type = KeyType::kInt64;
};

struct FeatureDef {
  std::string name;
  DataType type;
  uint32_t id = 0;  // stable within its group; never reused once dropped
};

inline constexpr int64_t kDefaultHistoryMicros = 7 * kMicrosPerDay;

struct FeatureGroupDef {
  std::string name;
  std::string entity;
  GroupKind kind = GroupKind::kTable;
  std::string event_time = "ts";
  std::optional<int64_t> ttl;        // micros; table groups
  int64_t history = kDefaultHistoryMicros;  // how far back online as-of reads are exact
  int32_t max_length = 0;            // sequence groups
  std::optional<int64_t> retention;  // micros; sequence groups
  std::vector<FeatureDef> features;
  uint32_t id = 0;  // stable within the repository; never reused
  uint32_t next_feature_id = 1;

  const FeatureDef* FindFeature(std::string_view feature) const;
  // How long a row stays visible after its event time, if bounded (ttl or retention).
  std::optional<int64_t> Lifetime() const { return kind == GroupKind::kTable ? ttl : retention; }
};

struct OnlineConfig {
  std::string backend = "rocksdb";
  std::string path = ".strata/online";
  bool sync = true;  // fsync the WAL at each acknowledged batch
  int64_t block_cache_mb = 512;  // RocksDB block cache (uncompressed data blocks)
  int64_t row_cache_mb = 256;    // hot rows, in front of the block cache; 0 disables it
  int64_t latest_cache_mb = 256; // latest rows of table groups, in front of RocksDB (serving); 0 disables it
  int64_t sequence_cache_mb = 256; // values of sequence groups, likewise
  // Writes of this many rows or more from processes that only write (ingest, stream) go into
  // RocksDB as SST files, ingested in one step; 0: always through the log and memtables.
  int64_t bulk_load_rows = 100'000;
  bool operator==(const OnlineConfig&) const = default;
};

struct OfflineConfig {
  std::string warehouse = ".strata/warehouse";
  // The Iceberg SQL catalog: a SQLite file (relative to the repository) or postgresql://...
  std::string catalog = ".strata/catalog.db";
  // Rows per offline commit at most (one snapshot each); bounds the memory an ingest holds.
  int64_t commit_rows = 1'000'000;
  bool operator==(const OfflineConfig&) const = default;
};

struct ServingConfig {
  // Append every served response to the offline table _feature_log (see docs/serving.md).
  bool log_features = false;
  bool operator==(const ServingConfig&) const = default;
};

struct RepoDefinition {
  std::string project;
  OnlineConfig online;
  OfflineConfig offline;
  ServingConfig serving;
  std::vector<EntityDef> entities;
  std::vector<FeatureGroupDef> groups;
  uint32_t next_group_id = 1;

  const EntityDef* FindEntity(std::string_view name) const;
  const FeatureGroupDef* FindGroup(std::string_view name) const;
};

}  // namespace strata
