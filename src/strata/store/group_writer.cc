#include "strata/store/group_writer.h"

#include <nlohmann/json.hpp>

#include <chrono>

#include "strata/core/row_codec.h"

namespace strata {

namespace {
constexpr size_t kBuilderRows = 64 * 1024;
constexpr size_t kOnlineBatchRows = 64 * 1024;
}  // namespace

Result<std::unique_ptr<GroupWriter>> GroupWriter::Make(FeatureRepository& repo, const FeatureGroupDef& group) {
  std::unique_ptr<GroupWriter> w(new GroupWriter(repo, group));
  const EntityDef& entity = repo.EntityOf(group);
  STRATA_ASSIGN_OR_RETURN(OfflineStore * offline, repo.offline());
  STRATA_RETURN_NOT_OK(offline->SyncGroup(entity, group));
  STRATA_ASSIGN_OR_RETURN(w->append_, offline->NewAppend(entity, group));
  w->builder_ = std::make_unique<RowBatchBuilder>(entity, group);
  w->next_seq_ = repo.last_write_seq() + 1;
  return w;
}

Status GroupWriter::Append(std::span<const FeatureRow> rows) {
  const EntityDef& entity = repo_.EntityOf(group_);
  for (const auto& row : rows) {
    OnlineWrite w;
    w.group = &group_;
    STRATA_RETURN_NOT_OK(FeatureRepository::EncodeKey(entity, row.key, &w.entity_key));
    w.event_time = row.event_time;
    w.write_seq = next_seq_++;
    EncodeRow(group_.features, row.features, &w.row);
    builder_->Append(row.key, row.event_time, static_cast<int64_t>(w.write_seq), row.features);
    online_.push_back(std::move(w));
    if (static_cast<size_t>(builder_->rows()) >= kBuilderRows) STRATA_RETURN_NOT_OK(FlushBatch());
  }
  return Status::OK();
}

Status GroupWriter::FlushBatch() {
  if (builder_->rows() == 0) return Status::OK();
  STRATA_ASSIGN_OR_RETURN(auto batch, builder_->Finish());
  return append_->Write(batch);
}

GroupWriter::~GroupWriter() { (void)Finish(); }

Status GroupWriter::Finish() {
  if (!online_in_flight_.valid()) return Status::OK();
  const auto start = std::chrono::steady_clock::now();
  Status st = online_in_flight_.get();
  online_wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return st;
}

Result<uint64_t> GroupWriter::Commit(std::span<const MetadataEntry> metadata) {
  STRATA_RETURN_NOT_OK(FlushBatch());
  const uint64_t last = next_seq_ - 1;
  if (online_.empty() && metadata.empty()) return last;
  std::map<std::string, std::string> properties;
  if (!online_.empty()) {
    nlohmann::json meta = nlohmann::json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    properties[kMaxWriteSeqProperty] = std::to_string(last);
    properties[kMetadataProperty] = meta.dump();
    properties["strata.first-write-seq"] = std::to_string(online_.front().write_seq);
    STRATA_ASSIGN_OR_RETURN(auto snapshot, append_->Commit(properties));
    (void)snapshot;
    repo_.AdvanceWriteSeq(last);  // offline holds these write_seq now, whatever happens online
  }
  // Online writes stay in commit order: the previous one must be done before this one starts.
  STRATA_RETURN_NOT_OK(Finish());
  online_in_flight_ = std::async(std::launch::async, [&online = repo_.online(), writes = std::move(online_), last,
                                                      meta = std::vector<MetadataEntry>(metadata.begin(), metadata.end()),
                                                      seconds = online_seconds_] {
    const auto start = std::chrono::steady_clock::now();
    Status st = WriteOnlineInBatches(online, writes, last, meta);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    seconds->store(seconds->load() + took);  // one online write at a time
    return st;
  });
  online_.clear();
  // Later rows go into a new snapshot.
  STRATA_ASSIGN_OR_RETURN(OfflineStore * offline, repo_.offline());
  STRATA_ASSIGN_OR_RETURN(append_, offline->NewAppend(repo_.EntityOf(group_), group_));
  return last;
}

Status WriteOnlineInBatches(OnlineStore& online, std::span<const OnlineWrite> writes, uint64_t last_write_seq,
                            std::span<const MetadataEntry> metadata) {
  size_t i = 0;
  do {
    const size_t n = std::min(kOnlineBatchRows, writes.size() - i);
    const bool final_batch = i + n == writes.size();
    const uint64_t seq = final_batch ? last_write_seq : writes[i + n - 1].write_seq;
    STRATA_RETURN_NOT_OK(online.Write(writes.subspan(i, n), seq,
                                      final_batch ? metadata : std::span<const MetadataEntry>()));
    i += n;
  } while (i < writes.size());
  return Status::OK();
}

}  // namespace strata
