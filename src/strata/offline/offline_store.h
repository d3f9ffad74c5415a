#pragma once
// The offline store: every feature group as an Iceberg table in a warehouse directory,
// registered in a SQL catalog. Appends are snapshots whose summary records the highest
// write_seq they hold (strata.max-write-seq) and the source positions they came from
// (strata.metadata), so that the online store can be reconciled with it after a crash.

#include <arrow/type_fwd.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/offline/iceberg/catalog.h"
#include "strata/offline/iceberg/data_file_writer.h"
#include "strata/offline/iceberg/table.h"
#include "strata/offline/iceberg/table_scan.h"

namespace strata {

inline constexpr char kMaxWriteSeqProperty[] = "strata.max-write-seq";
inline constexpr char kMetadataProperty[] = "strata.metadata";
inline constexpr char kCatalogName[] = "strata";

struct OfflineStoreOptions {
  std::string warehouse;    // absolute directory
  std::string catalog_uri;  // SQLite path or postgresql://...
  std::string ns;           // the Iceberg namespace: the project name
};

// Rows of one group on their way into one snapshot: data files are written as rows come,
// and become visible only at Commit.
class OfflineAppend {
 public:
  OfflineAppend(iceberg::Table* table, std::shared_ptr<arrow::Schema> schema, iceberg::DataFileWriterOptions options)
      : table_(table), writer_(std::move(schema), std::move(options)) {}
  ~OfflineAppend() {
    if (!committed_) writer_.Abort();
  }

  Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) { return writer_.Write(batch); }
  int64_t rows() const { return writer_.rows(); }
  // Commits one "append" snapshot (none when no row was written and `properties` is empty).
  Result<std::optional<iceberg::SnapshotInfo>> Commit(const std::map<std::string, std::string>& properties);

 private:
  iceberg::Table* table_;
  iceberg::DataFileWriter writer_;
  bool committed_ = false;
};

struct CompactResult {
  int64_t files_removed = 0;
  int64_t files_added = 0;
  int64_t rows = 0;
  std::optional<iceberg::SnapshotInfo> snapshot;  // none when nothing needed compaction
};

// The `strata.max-write-seq` a snapshot records (0 when absent or malformed).
uint64_t SnapshotMaxWriteSeq(const iceberg::SnapshotInfo& snapshot);

class OfflineStore {
 public:
  static Result<std::unique_ptr<OfflineStore>> Open(const OfflineStoreOptions& options);

  // Creates the group's table, or moves it to the group's current schema.
  Status SyncGroup(const EntityDef& entity, const FeatureGroupDef& group);
  // The group's table (created on first use).
  Result<iceberg::Table*> GetTable(const EntityDef& entity, const FeatureGroupDef& group);

  Result<std::unique_ptr<OfflineAppend>> NewAppend(const EntityDef& entity, const FeatureGroupDef& group);

  // The highest write_seq any snapshot of the group's table holds (0 when none).
  Result<uint64_t> MaxWriteSeq(const EntityDef& entity, const FeatureGroupDef& group);

  // Rewrites the small files of each day partition into files of about `target_bytes`, sorted
  // by (key, event_time, write_seq), as one "replace" snapshot.
  Result<CompactResult> Compact(const EntityDef& entity, const FeatureGroupDef& group, int64_t target_bytes);

  const OfflineStoreOptions& options() const { return options_; }
  std::string TableLocation(const FeatureGroupDef& group) const;

 private:
  explicit OfflineStore(OfflineStoreOptions options) : options_(std::move(options)) {}

  OfflineStoreOptions options_;
  std::unique_ptr<iceberg::Catalog> catalog_;
  std::map<std::string, std::unique_ptr<iceberg::Table>> tables_;
  std::map<std::string, nlohmann::json> synced_;  // group -> the schema SyncGroup last made current
};

// Reads every row of `files` (their current schema projection) into one sorted-by-(key, time,
// write_seq) table: used by compaction and tests.
Result<std::shared_ptr<arrow::Table>> ReadSorted(iceberg::TableScan& scan);

}  // namespace strata
