#include "strata/offline/offline_store.h"

#include <arrow/compute/api.h>
#include <arrow/compute/initialize.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>

#include <charconv>
#include <filesystem>

#include "strata/core/file_io.h"
#include "strata/offline/iceberg/table_schema.h"

namespace strata {

Result<std::optional<iceberg::SnapshotInfo>> OfflineAppend::Commit(const std::map<std::string, std::string>& properties) {
  STRATA_ASSIGN_OR_RETURN(auto files, writer_.Finish());
  if (files.empty() && properties.empty()) return std::optional<iceberg::SnapshotInfo>();
  auto snap = table_->Append(files, properties);
  if (!snap.ok()) return snap.status();  // the destructor deletes the files no snapshot names
  committed_ = true;
  return std::optional<iceberg::SnapshotInfo>(std::move(*snap));
}

uint64_t SnapshotMaxWriteSeq(const iceberg::SnapshotInfo& snapshot) {
  auto it = snapshot.summary.find(kMaxWriteSeqProperty);
  if (it == snapshot.summary.end()) return 0;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  return ec == std::errc() && p == it->second.data() + it->second.size() ? v : 0;
}

Result<std::unique_ptr<OfflineStore>> OfflineStore::Open(const OfflineStoreOptions& options) {
  // Since Arrow 21 the kernels beyond the core ones (sorting among them) register here.
  if (auto st = arrow::compute::Initialize(); !st.ok()) return Status::Internal("Arrow compute: " + st.ToString());
  std::unique_ptr<OfflineStore> store(new OfflineStore(options));
  std::error_code ec;
  std::filesystem::create_directories(options.warehouse, ec);
  if (ec) return Status::IOError("cannot create the warehouse directory " + options.warehouse + ": " + ec.message());
  STRATA_ASSIGN_OR_RETURN(store->catalog_, iceberg::OpenCatalog(options.catalog_uri, kCatalogName));
  return store;
}

std::string OfflineStore::TableLocation(const FeatureGroupDef& group) const {
  return options_.warehouse + "/" + options_.ns + "/" + group.name;
}

Result<iceberg::Table*> OfflineStore::GetTable(const EntityDef& entity, const FeatureGroupDef& group) {
  auto it = tables_.find(group.name);
  if (it != tables_.end()) return it->second.get();
  auto loaded = iceberg::Table::Load(catalog_.get(), options_.ns, group.name);
  if (!loaded.ok() && loaded.status().code() != StatusCode::kNotFound) return loaded.status();
  std::unique_ptr<iceberg::Table> table;
  if (loaded.ok()) {
    table = std::move(*loaded);
  } else {
    STRATA_ASSIGN_OR_RETURN(table, iceberg::Table::CreateOrLoad(catalog_.get(), options_.ns, group.name,
                                                                TableLocation(group), iceberg::SchemaJson(entity, group, 0),
                                                                iceberg::LastColumnId(group),
                                                                iceberg::PartitionSpecJson(group)));
  }
  // Strata writes only inside its warehouse: a table whose metadata says otherwise is refused.
  const std::string root = options_.warehouse + "/";
  if ((table->location() + "/").rfind(root, 0) != 0)
    return Status::FailedPrecondition("the offline table of group " + group.name + " has its location at " +
                                      table->location() + ", outside the warehouse " + options_.warehouse +
                                      " (metadata " + PathFromUri(table->metadata_location()) +
                                      "); Strata never writes outside the warehouse. Fix the table's location.");
  auto* raw = table.get();
  tables_[group.name] = std::move(table);
  return raw;
}

Status OfflineStore::SyncGroup(const EntityDef& entity, const FeatureGroupDef& group) {
  // Definitions do not change while a repository is open: one sync per group is enough.
  nlohmann::json schema = iceberg::SchemaJson(entity, group, 0);
  auto done = synced_.find(group.name);
  if (done != synced_.end() && done->second == schema) return Status::OK();
  STRATA_ASSIGN_OR_RETURN(auto* table, GetTable(entity, group));
  STRATA_RETURN_NOT_OK(table->Refresh());
  STRATA_RETURN_NOT_OK(table->UpdateSchema(schema, iceberg::LastColumnId(group)));
  synced_[group.name] = std::move(schema);
  return Status::OK();
}

Result<std::unique_ptr<OfflineAppend>> OfflineStore::NewAppend(const EntityDef& entity, const FeatureGroupDef& group) {
  STRATA_ASSIGN_OR_RETURN(auto* table, GetTable(entity, group));
  iceberg::DataFileWriterOptions o;
  o.data_dir = table->location() + "/data";
  o.partition_name = iceberg::PartitionFieldName(group);
  return std::make_unique<OfflineAppend>(table, iceberg::ArrowSchema(entity, group), o);
}

Result<uint64_t> OfflineStore::MaxWriteSeq(const EntityDef& entity, const FeatureGroupDef& group) {
  STRATA_ASSIGN_OR_RETURN(auto* table, GetTable(entity, group));
  STRATA_RETURN_NOT_OK(table->Refresh());
  uint64_t max = 0;
  for (const auto& s : table->Snapshots()) max = std::max(max, SnapshotMaxWriteSeq(s));
  return max;
}

Result<std::shared_ptr<arrow::Table>> ReadSorted(iceberg::TableScan& scan) {
  arrow::RecordBatchVector batches;
  while (true) {
    STRATA_ASSIGN_OR_RETURN(auto b, scan.Next());
    if (!b) break;
    batches.push_back(std::move(b));
  }
  auto table = arrow::Table::FromRecordBatches(scan.schema(), batches);
  if (!table.ok()) return Status::Internal(table.status().ToString());
  const auto& s = scan.schema();
  arrow::compute::SortOptions order({arrow::compute::SortKey(s->field(0)->name()), arrow::compute::SortKey(s->field(1)->name()),
                                     arrow::compute::SortKey(s->field(2)->name())});
  auto indices = arrow::compute::SortIndices(arrow::Datum(*table), order);
  if (!indices.ok()) return Status::Internal("sorting: " + indices.status().ToString());
  auto sorted = arrow::compute::Take(arrow::Datum(*table), arrow::Datum(*indices));
  if (!sorted.ok()) return Status::Internal("sorting: " + sorted.status().ToString());
  return sorted->table();
}

Result<CompactResult> OfflineStore::Compact(const EntityDef& entity, const FeatureGroupDef& group, int64_t target_bytes) {
  STRATA_ASSIGN_OR_RETURN(auto* table, GetTable(entity, group));
  STRATA_RETURN_NOT_OK(table->Refresh());
  CompactResult result;
  auto current = table->CurrentSnapshot();
  if (!current) return result;
  STRATA_ASSIGN_OR_RETURN(auto live, table->LiveFiles(*current));
  // A partition is rewritten when it has more than one file smaller than the target.
  std::map<int32_t, std::vector<iceberg::ManifestEntry>> small;
  for (auto& e : live)
    if (e.file.file_size < target_bytes * 3 / 4) small[e.file.partition_day].push_back(std::move(e));
  const nlohmann::json schema = table->CurrentSchema();
  STRATA_ASSIGN_OR_RETURN(auto arrow_schema, iceberg::ArrowSchemaFromJson(schema));
  iceberg::DataFileWriterOptions o;
  o.data_dir = table->location() + "/data";
  o.partition_name = iceberg::PartitionFieldName(group);
  o.target_file_bytes = target_bytes;
  iceberg::DataFileWriter writer(arrow_schema, o);
  std::set<std::string> removed;
  for (auto& [day, files] : small) {
    if (files.size() < 2) continue;
    for (const auto& f : files) removed.insert(f.file.path);
    result.files_removed += static_cast<int64_t>(files.size());
    // Partition by partition, so that memory holds one day at a time.
    STRATA_ASSIGN_OR_RETURN(auto scan, iceberg::TableScan::Make(files, schema));
    STRATA_ASSIGN_OR_RETURN(auto sorted, ReadSorted(*scan));
    result.rows += sorted->num_rows();
    arrow::TableBatchReader reader(*sorted);
    reader.set_chunksize(64 * 1024);
    std::shared_ptr<arrow::RecordBatch> batch;
    while (reader.ReadNext(&batch).ok() && batch) {
      Status st = writer.Write(batch);
      if (!st.ok()) {
        writer.Abort();
        return st;
      }
    }
  }
  if (removed.empty()) return result;
  auto added = writer.Finish();
  if (!added.ok()) {
    writer.Abort();
    return added.status();
  }
  result.files_added = static_cast<int64_t>(added->size());
  // The replace snapshot carries the table's high-water mark, which survives expiring the appends.
  STRATA_ASSIGN_OR_RETURN(uint64_t max_seq, MaxWriteSeq(entity, group));
  auto snap = table->Rewrite(removed, *added, {{"strata.operation", "compact"}, {kMaxWriteSeqProperty, std::to_string(max_seq)}});
  if (!snap.ok()) {
    writer.Abort();  // never committed: its files go
    return snap.status();
  }
  result.snapshot = *snap;
  return result;
}

}  // namespace strata
