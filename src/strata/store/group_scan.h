#pragma once
// Reading a group's offline table as it was: at the current snapshot, at a snapshot id, or at
// the snapshot that was current at a time (Iceberg time travel), optionally only some keys.
// What `strata scan` and the Python package's Store.scan share.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "strata/core/status.h"
#include "strata/offline/iceberg/table.h"
#include "strata/offline/iceberg/table_scan.h"
#include "strata/store/feature_repository.h"

namespace strata {

struct GroupScanOptions {
  std::optional<int64_t> snapshot_id;
  std::optional<int64_t> as_of_micros;  // the snapshot current at this time
  iceberg::ScanFilter filter;
};

struct GroupScan {
  std::optional<iceberg::SnapshotInfo> snapshot;  // none: the table has no snapshot yet
  std::unique_ptr<iceberg::TableScan> scan;
};

// NotFound (naming the group and how to list its snapshots) for a snapshot that does not exist.
Result<GroupScan> ScanGroup(FeatureRepository& repo, const FeatureGroupDef& group, const GroupScanOptions& options);

}  // namespace strata
