#pragma once
// One Iceberg format-v2 table: its metadata JSON, snapshots, and the commits that move it
// forward (append, rewrite, schema change, snapshot expiry). Every commit writes a new
// metadata file and swaps it into the catalog; when another writer got there first, the
// change is re-applied on top of the new state and retried, so racing writers both succeed.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "strata/core/status.h"
#include "strata/offline/iceberg/catalog.h"
#include "strata/offline/iceberg/manifest.h"

namespace strata::iceberg {

struct SnapshotInfo {
  int64_t id = 0;
  std::optional<int64_t> parent_id;
  int64_t sequence_number = 0;
  int64_t timestamp_ms = 0;
  std::string manifest_list;  // URI
  int schema_id = 0;
  std::map<std::string, std::string> summary;
};

struct ExpireResult {
  std::vector<int64_t> expired_snapshots;
  std::vector<std::string> deleted_files;
};

class Table {
 public:
  // Loads `ns.name`; NotFound when the catalog has no such table.
  static Result<std::unique_ptr<Table>> Load(Catalog* catalog, const std::string& ns, const std::string& name);
  // Creates the table at `location` (a local directory) with `schema` and `partition_spec`, or
  // loads it when it exists already.
  static Result<std::unique_ptr<Table>> CreateOrLoad(Catalog* catalog, const std::string& ns, const std::string& name,
                                                     const std::string& location, const nlohmann::json& schema,
                                                     int last_column_id, const nlohmann::json& partition_spec);

  const nlohmann::json& metadata() const { return metadata_; }
  const std::string& metadata_location() const { return metadata_location_; }
  const std::string& location() const { return location_; }  // local path
  const std::string& name() const { return name_; }

  std::vector<SnapshotInfo> Snapshots() const;
  std::optional<SnapshotInfo> CurrentSnapshot() const;
  std::optional<SnapshotInfo> SnapshotById(int64_t id) const;
  // The snapshot that was current at `timestamp_ms` (from the snapshot log).
  std::optional<SnapshotInfo> SnapshotAsOf(int64_t timestamp_ms) const;
  nlohmann::json CurrentSchema() const;
  nlohmann::json SchemaById(int id) const;

  // The data files live in `snapshot` (added or existing entries of its manifests).
  Result<std::vector<ManifestEntry>> LiveFiles(const SnapshotInfo& snapshot) const;

  Status Refresh();

  // Makes `schema` current (a new schema id) unless its fields equal the current ones.
  Status UpdateSchema(const nlohmann::json& schema, int last_column_id);

  // A new "append" snapshot adding `files`; `properties` join its summary.
  Result<SnapshotInfo> Append(const std::vector<DataFile>& files, const std::map<std::string, std::string>& properties);

  // A "replace" snapshot: `removed` (paths) leave the table, `added` join it, rows unchanged.
  // kConflict when a removed file is no longer live (someone else rewrote it).
  Result<SnapshotInfo> Rewrite(const std::set<std::string>& removed, const std::vector<DataFile>& added,
                               const std::map<std::string, std::string>& properties);

  // Drops snapshots older than `older_than_ms` (never the current one) and deletes the
  // manifest lists, manifests and data files that no remaining snapshot references.
  Result<ExpireResult> ExpireSnapshots(int64_t older_than_ms);

 private:
  Table(Catalog* catalog, std::string ns, std::string name) : catalog_(catalog), ns_(std::move(ns)), name_(std::move(name)) {}
  Status LoadMetadata(const std::string& location);
  // Writes the metadata `update` makes of the current one and swaps it in; on a conflict
  // reloads and calls `update` again.
  Status Commit(const std::function<Result<nlohmann::json>(const nlohmann::json& base)>& update);
  std::string NewMetadataPath() const;
  std::string MetadataFilePath(const std::string& file_name) const;
  Result<std::vector<ManifestFile>> Manifests(const SnapshotInfo& snapshot) const;
  // Every entry of one manifest (deleted ones included).
  Result<std::vector<ManifestEntry>> Entries(const ManifestFile& manifest) const;
  Result<SnapshotInfo> CommitSnapshot(const std::string& operation, const std::vector<ManifestEntry>& new_entries,
                                      const std::set<std::string>& removed,
                                      const std::map<std::string, std::string>& properties);

  Catalog* catalog_;
  std::string ns_, name_;
  std::string metadata_location_;  // URI
  std::string location_;           // local path of the table directory
  nlohmann::json metadata_;
};

}  // namespace strata::iceberg
