#pragma once
// Iceberg v2 manifests and manifest lists (https://iceberg.apache.org/spec/#manifests), as
// Avro files whose schemas carry Iceberg's field ids, for data files partitioned by one
// day(event_time) field.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/status.h"

namespace strata::iceberg {

// One Parquet data file and its column statistics (keyed by field id; bounds use Iceberg's
// single-value binary serialization).
struct DataFile {
  std::string path;  // absolute URI, file:///...
  int32_t partition_day = 0;
  int64_t record_count = 0;
  int64_t file_size = 0;
  std::map<int, int64_t> column_sizes;
  std::map<int, int64_t> value_counts;
  std::map<int, int64_t> null_counts;
  std::map<int, std::string> lower_bounds;
  std::map<int, std::string> upper_bounds;
  std::vector<int64_t> split_offsets;  // row group offsets
};

enum class EntryStatus : int { kExisting = 0, kAdded = 1, kDeleted = 2 };

struct ManifestEntry {
  EntryStatus status = EntryStatus::kAdded;
  int64_t snapshot_id = 0;
  int64_t sequence_number = 0;       // data sequence number
  int64_t file_sequence_number = 0;
  DataFile file;
};

// One entry of a manifest list.
struct ManifestFile {
  std::string path;
  int64_t length = 0;
  int64_t sequence_number = 0;
  int64_t min_sequence_number = 0;
  int64_t added_snapshot_id = 0;
  int32_t added_files = 0, existing_files = 0, deleted_files = 0;
  int64_t added_rows = 0, existing_rows = 0, deleted_rows = 0;
  std::optional<int32_t> lower_day, upper_day;  // partition summary
};

// Manifest file bytes. `schema` is the table schema JSON, `partition_name` the partition field's name.
std::string WriteManifest(const std::vector<ManifestEntry>& entries, const nlohmann::json& schema,
                          const std::string& partition_name);
// Reads a manifest; entries with a null snapshot id / sequence number inherit them from `owner`.
Result<std::vector<ManifestEntry>> ReadManifest(const std::string& bytes, const std::string& name,
                                                const ManifestFile& owner);

std::string WriteManifestList(const std::vector<ManifestFile>& manifests, int64_t snapshot_id,
                              std::optional<int64_t> parent_snapshot_id, int64_t sequence_number);
Result<std::vector<ManifestFile>> ReadManifestList(const std::string& bytes, const std::string& name);

// Summary counts of a manifest's entries (added/existing/deleted files and rows, partitions).
ManifestFile SummarizeManifest(const std::vector<ManifestEntry>& entries);

}  // namespace strata::iceberg
