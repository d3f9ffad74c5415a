#include "strata/store/offline_reconciler.h"

#include <arrow/array.h>
#include <arrow/record_batch.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "strata/core/row_codec.h"
#include "strata/offline/batch_values.h"
#include "strata/offline/iceberg/table_schema.h"
#include "strata/offline/offline_store.h"
#include "strata/store/group_writer.h"

namespace strata {

namespace {

// True when the file may hold a write_seq above `seq` (by its manifest bounds).
bool MayHoldAbove(const iceberg::DataFile& f, uint64_t seq) {
  auto hi = f.upper_bounds.find(iceberg::kWriteSeqFieldId);
  if (hi == f.upper_bounds.end() || hi->second.size() != 8) return true;
  int64_t v;
  std::memcpy(&v, hi->second.data(), 8);
  return static_cast<uint64_t>(v) > seq;
}

}  // namespace

Result<ReconcileSummary> ReconcileOnlineWithOffline(FeatureRepository& repo) {
  ReconcileSummary summary;
  STRATA_ASSIGN_OR_RETURN(OfflineStore * offline, repo.offline());
  STRATA_ASSIGN_OR_RETURN(const uint64_t online_last, repo.online().LastWriteSeq());
  summary.last_write_seq = online_last;
  std::vector<OnlineWrite> writes;
  std::map<std::string, std::string> metadata;
  uint64_t offline_last = online_last;
  for (const auto& group : repo.definition().groups) {
    const EntityDef& entity = repo.EntityOf(group);
    STRATA_ASSIGN_OR_RETURN(uint64_t max_seq, offline->MaxWriteSeq(entity, group));
    if (max_seq <= online_last) continue;
    offline_last = std::max(offline_last, max_seq);
    STRATA_ASSIGN_OR_RETURN(auto* table, offline->GetTable(entity, group));
    // Source positions recorded by the snapshots being replayed, oldest first (later ones win).
    auto snapshots = table->Snapshots();
    std::sort(snapshots.begin(), snapshots.end(),
              [](const auto& a, const auto& b) { return a.sequence_number < b.sequence_number; });
    for (const auto& s : snapshots) {
      auto meta = s.summary.find(kMetadataProperty);
      if (meta == s.summary.end() || SnapshotMaxWriteSeq(s) <= online_last) continue;
      auto j = nlohmann::json::parse(meta->second, nullptr, false);
      if (j.is_object())
        for (const auto& [k, v] : j.items())
          if (v.is_string()) metadata[k] = v.get<std::string>();
    }
    auto current = table->CurrentSnapshot();
    if (!current) continue;
    STRATA_ASSIGN_OR_RETURN(auto live, table->LiveFiles(*current));
    std::vector<iceberg::ManifestEntry> files;
    for (auto& e : live)
      if (MayHoldAbove(e.file, online_last)) files.push_back(std::move(e));
    STRATA_ASSIGN_OR_RETURN(auto scan, iceberg::TableScan::Make(std::move(files), iceberg::SchemaJson(entity, group, 0)));
    while (true) {
      STRATA_ASSIGN_OR_RETURN(auto batch, scan->Next());
      if (!batch) break;
      const auto& seqs = static_cast<const arrow::Int64Array&>(*batch->column(2));
      const auto& times = static_cast<const arrow::TimestampArray&>(*batch->column(1));
      std::vector<Value> keys = ColumnValues(*batch->column(0), DataType::Of(entity.key_type == KeyType::kInt64
                                                                                   ? TypeId::kInt64
                                                                                   : TypeId::kString));
      std::vector<std::vector<Value>> columns;
      for (size_t f = 0; f < group.features.size(); ++f)
        columns.push_back(ColumnValues(*batch->column(static_cast<int>(f) + 3), group.features[f].type));
      std::vector<Value> row(group.features.size());
      for (int64_t r = 0; r < batch->num_rows(); ++r) {
        if (static_cast<uint64_t>(seqs.Value(r)) <= online_last) continue;
        OnlineWrite w;
        w.group = &group;
        STRATA_RETURN_NOT_OK(FeatureRepository::EncodeKey(entity, keys[static_cast<size_t>(r)], &w.entity_key));
        w.event_time = times.Value(r);
        w.write_seq = static_cast<uint64_t>(seqs.Value(r));
        for (size_t f = 0; f < row.size(); ++f) row[f] = std::move(columns[f][static_cast<size_t>(r)]);
        EncodeRow(group.features, row, &w.row);
        writes.push_back(std::move(w));
      }
    }
  }
  if (offline_last == online_last) return summary;
  std::sort(writes.begin(), writes.end(), [](const auto& a, const auto& b) { return a.write_seq < b.write_seq; });
  std::vector<MetadataEntry> meta(metadata.begin(), metadata.end());
  STRATA_RETURN_NOT_OK(WriteOnlineInBatches(repo.online(), writes, offline_last, meta));
  summary.replayed_rows = writes.size();
  summary.last_write_seq = offline_last;
  return summary;
}

}  // namespace strata
