#pragma once
// A feature repository: a directory holding strata.yaml, the registry of applied definitions
// (.strata/registry.json) and the stores. The one entry point through which ingestion,
// serving and the CLI reach the data; it assigns write_seq.

#include <arrow/type_fwd.h>

#include <atomic>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/schema_evolution.h"
#include "strata/core/status.h"
#include "strata/core/value.h"
#include "strata/online/online_store.h"

namespace strata {
class OfflineStore;
struct OfflineStoreOptions;
}

namespace strata {

inline constexpr char kRepoYamlFile[] = "strata.yaml";

// One row of a feature group, validated, before it is assigned a write_seq.
struct FeatureRow {
  Value key;                    // int64_t or std::string, as the entity declares
  int64_t event_time = 0;
  std::vector<Value> features;  // aligned with the group's features; monostate = null
};

struct RepositoryOptions {
  bool read_only = false;
  // Replay rows the offline store committed but the online store lacks (after a crash).
  // Skipped for read-only opens.
  bool reconcile = true;
  // The process writes and serves no reads (`strata ingest`, `strata stream`): RocksDB's row
  // cache, which only speeds up reads, is left out (it was probed once per overlapping data file
  // for every key whose state a write batch reads: ~a fifth of a bulk ingest's time), and the
  // latest-row cache keeps the rows written, which the next batches read their state from.
  bool write_only = false;
};

class FeatureRepository {
 public:
  // Opens an applied repository. Fails with a message naming `strata apply` if it never was.
  static Result<std::unique_ptr<FeatureRepository>> Open(const std::string& dir, const RepositoryOptions& options = {});

  // Validates strata.yaml against the registry and, unless `dry_run`, registers it (creating
  // the stores on first use). An incompatible change returns kIncompatible and changes nothing.
  static Result<ApplyPlan> Apply(const std::string& dir, bool dry_run = false);

  const RepoDefinition& definition() const { return definition_; }
  const std::string& dir() const { return dir_; }

  // The group named `name` (or the feature log table, offline only), or NotFound listing the
  // groups that exist.
  Result<const FeatureGroupDef*> FindGroup(std::string_view name) const;
  const EntityDef& EntityOf(const FeatureGroupDef& group) const;
  // Features by name ("*" or an empty list: all), or NotFound naming the unknown one.
  Result<std::vector<const FeatureDef*>> SelectFeatures(const FeatureGroupDef& group,
                                                        const std::vector<std::string>& names) const;

  // Writes rows of one group to both stores (see GroupWriter), assigning consecutive
  // write_seq in order, together with `metadata` (e.g. the source position they came from).
  // Returns the last write_seq assigned.
  Result<uint64_t> Write(const FeatureGroupDef& group, std::span<const FeatureRow> rows,
                         std::span<const MetadataEntry> metadata = {});

  // Reads features of many keys (one batched lookup) as of `as_of` (default: now).
  // One array per feature; see OnlineStore::Read.
  Result<std::vector<std::shared_ptr<arrow::Array>>> Read(const FeatureGroupDef& group, std::span<const Value> keys,
                                                          const std::vector<const FeatureDef*>& features,
                                                          std::optional<int64_t> as_of = std::nullopt,
                                                          int32_t limit = 0, std::vector<RowInfo>* row_info = nullptr);
  // The same into `out`, reused from read to read: a loop of reads that keeps one ReadColumns
  // allocates nothing for its output once it has grown (see read_columns.h).
  Status ReadInto(const FeatureGroupDef& group, std::span<const Value> keys, const std::vector<const FeatureDef*>& features,
                  ReadColumns* out, std::optional<int64_t> as_of = std::nullopt, int32_t limit = 0,
                  std::vector<RowInfo>* row_info = nullptr);

  OnlineStore& online() { return *online_; }
  // The offline store (Iceberg tables), opened on first use.
  Result<OfflineStore*> offline();
  // Where the offline store lives (for components that open their own handle on it).
  OfflineStoreOptions offline_options() const;
  uint64_t last_write_seq() const { return next_write_seq_.load(std::memory_order_acquire) - 1; }
  // Called by writers once `seq` is durable in either store: it is never assigned again.
  // (Writers take turns; the atomic is for readers such as a metrics page on another thread.)
  void AdvanceWriteSeq(uint64_t seq) {
    if (seq + 1 > next_write_seq_.load(std::memory_order_relaxed)) next_write_seq_.store(seq + 1, std::memory_order_release);
  }
  // Rows replayed online by the reconciliation at Open (0 normally).
  uint64_t reconciled_rows() const { return reconciled_rows_; }

  // Resolves a repository-relative path (absolute paths are kept).
  std::string ResolvePath(const std::string& path) const { return ResolvePath(dir_, path); }
  // The same for the repository at `dir`, without opening it (a process that only reads strata.yaml).
  static std::string ResolvePath(const std::string& dir, const std::string& path);

  // Encodes an entity key for storage; InvalidArgument when its type is not the entity's.
  static Status EncodeKey(const EntityDef& entity, const Value& key, std::string* out);

 private:
  FeatureRepository();

  std::string dir_;
  RepoDefinition definition_;
  std::unique_ptr<OnlineStore> online_;
  std::unique_ptr<OfflineStore> offline_;
  std::atomic<uint64_t> next_write_seq_{1};
  uint64_t reconciled_rows_ = 0;

 public:
  ~FeatureRepository();
};

}  // namespace strata
