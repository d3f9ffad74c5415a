#include "strata/store/group_scan.h"

#include "strata/core/time.h"
#include "strata/offline/offline_store.h"

namespace strata {

Result<GroupScan> ScanGroup(FeatureRepository& repo, const FeatureGroupDef& group, const GroupScanOptions& options) {
  STRATA_ASSIGN_OR_RETURN(OfflineStore * offline, repo.offline());
  STRATA_ASSIGN_OR_RETURN(iceberg::Table * table, offline->GetTable(repo.EntityOf(group), group));
  GroupScan out;
  if (options.snapshot_id) {
    out.snapshot = table->SnapshotById(*options.snapshot_id);
    if (!out.snapshot)
      return Status::NotFound("group " + group.name + " has no snapshot " + std::to_string(*options.snapshot_id) +
                              "; see `strata snapshots " + group.name + "`");
  } else if (options.as_of_micros) {
    out.snapshot = table->SnapshotAsOf(*options.as_of_micros / 1000);
    if (!out.snapshot)
      return Status::NotFound("group " + group.name + " had no snapshot at " + FormatTimestamp(*options.as_of_micros));
  } else {
    out.snapshot = table->CurrentSnapshot();
  }
  std::vector<iceberg::ManifestEntry> files;
  nlohmann::json schema = table->CurrentSchema();
  if (out.snapshot) {
    STRATA_ASSIGN_OR_RETURN(files, table->LiveFiles(*out.snapshot));
    schema = table->SchemaById(out.snapshot->schema_id);
  }
  STRATA_ASSIGN_OR_RETURN(out.scan, iceberg::TableScan::Make(std::move(files), schema, options.filter));
  return out;
}

}  // namespace strata
