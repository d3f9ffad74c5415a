#include "strata/store/stream_writer.h"

#include <sys/resource.h>
#include <unistd.h>

#include <arrow/record_batch.h>

#include <cstdio>
#include <set>
#include <nlohmann/json.hpp>

#include "strata/core/arrow_ipc.h"
#include "strata/core/row_codec.h"
#include "strata/offline/offline_store.h"

namespace strata {

namespace {

std::string SeqText(uint64_t seq) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(seq));
  return buf;
}

}  // namespace

namespace {

// Online metadata keys: stream/<name>/<kind>/...
constexpr char kStreamKeys[] = "stream/";

std::string StreamPrefix(const std::string& name, const std::string& kind) { return kStreamKeys + name + "/" + kind + "/"; }

Status CheckName(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos)
    return Status::InvalidArgument("stream name '" + name + "' must be non-empty, without '/'");
  return Status::OK();
}

}  // namespace

std::string StreamWriter::Prefix(const std::string& kind) const { return StreamPrefix(options_.name, kind); }

Result<std::unique_ptr<StreamWriter>> StreamWriter::Open(FeatureRepository& repo, StreamWriterOptions options) {
  STRATA_RETURN_NOT_OK(CheckName(options.name));
  if (options.commit_rows <= 0) return Status::InvalidArgument("commit rows must be positive");
  std::unique_ptr<StreamWriter> w(new StreamWriter(repo, std::move(options)));
  STRATA_RETURN_NOT_OK(w->Recover());
  STRATA_ASSIGN_OR_RETURN(w->last_positions_, StoredPositions(repo, w->options_.name));
  return w;
}

Result<std::map<std::string, std::string>> StreamWriter::StoredPositions(FeatureRepository& repo, const std::string& name) {
  STRATA_RETURN_NOT_OK(CheckName(name));
  const std::string prefix = StreamPrefix(name, "pos");
  STRATA_ASSIGN_OR_RETURN(auto entries, repo.online().ScanMetadata(prefix));
  std::map<std::string, std::string> out;
  for (auto& [k, v] : entries) out[k.substr(prefix.size())] = std::move(v);
  return out;
}

Status StreamWriter::RecoverAll(FeatureRepository& repo) {
  STRATA_ASSIGN_OR_RETURN(auto entries, repo.online().ScanMetadata(kStreamKeys));
  std::set<std::string> names;
  const size_t n = sizeof kStreamKeys - 1;
  for (const auto& [key, value] : entries) {
    const auto slash = key.find('/', n);
    if (slash != std::string::npos && key.compare(slash, 9, "/pending/") == 0) names.insert(key.substr(n, slash - n));
  }
  for (const auto& name : names) {
    StreamWriterOptions o;
    o.name = name;
    auto writer = Open(repo, o);  // recovers
    if (!writer.ok()) return writer.status().WithContext("recovering the pending rows of stream " + name);
  }
  return Status::OK();
}

Status StreamWriter::Recover() {
  const std::string prefix = Prefix("pending");
  STRATA_ASSIGN_OR_RETURN(auto entries, repo_.online().ScanMetadata(prefix));
  if (entries.empty()) return Status::OK();
  // Keys: pending/<group>/<first seq>-<last seq>, in write_seq order per group.
  std::map<std::string, std::vector<std::pair<uint64_t, std::shared_ptr<arrow::RecordBatch>>>> by_group;
  std::vector<std::string> keys;
  for (const auto& [key, value] : entries) {
    keys.push_back(key);
    const std::string rest = key.substr(prefix.size());
    const auto slash = rest.rfind('/');
    const auto dash = rest.rfind('-');
    if (slash == std::string::npos || dash == std::string::npos || dash < slash)
      return Status::Corruption("online metadata key '" + key + "' is not a pending stream batch");
    STRATA_ASSIGN_OR_RETURN(auto batch, RecordBatchFromIpc(value, "pending stream batch " + key));
    by_group[rest.substr(0, slash)].emplace_back(std::stoull(rest.substr(dash + 1)), std::move(batch));
    ++recovery_.batches;
  }
  STRATA_ASSIGN_OR_RETURN(OfflineStore * offline, repo_.offline());
  for (auto& [name, batches] : by_group) {
    STRATA_ASSIGN_OR_RETURN(const FeatureGroupDef* group, repo_.FindGroup(name));
    const EntityDef& entity = repo_.EntityOf(*group);
    STRATA_RETURN_NOT_OK(offline->SyncGroup(entity, *group));
    STRATA_ASSIGN_OR_RETURN(const uint64_t offline_max, offline->MaxWriteSeq(entity, *group));
    STRATA_ASSIGN_OR_RETURN(auto append, offline->NewAppend(entity, *group));
    uint64_t last = 0;
    for (auto& [last_seq, batch] : batches) {
      if (last_seq <= offline_max) continue;  // committed before the crash
      STRATA_RETURN_NOT_OK(append->Write(batch));
      recovery_.rows_committed_offline += static_cast<uint64_t>(batch->num_rows());
      last = std::max(last, last_seq);
    }
    if (last > 0) {
      STRATA_ASSIGN_OR_RETURN(auto snapshot, append->Commit({{kMaxWriteSeqProperty, std::to_string(last)},
                                                             {"strata.stream", options_.name},
                                                             {"strata.stream-recovery", "true"}}));
      (void)snapshot;
      ++offline_commits_;
    }
  }
  return repo_.online().DeleteMetadata(keys);
}

Status StreamWriter::Stage(const FeatureGroupDef& group, std::span<const FeatureRow> rows) {
  if (rows.empty()) return Status::OK();
  auto it = staged_.find(group.name);
  if (it == staged_.end()) {
    it = staged_.emplace(group.name, Staged{&group, std::make_unique<RowBatchBuilder>(repo_.EntityOf(group), group), {}, {}}).first;
  }
  Staged& s = it->second;
  const EntityDef& entity = repo_.EntityOf(group);
  // write_seq are assigned at Write, in staging order across groups.
  for (const auto& row : rows) {
    OnlineWrite w;
    w.group = &group;
    STRATA_RETURN_NOT_OK(FeatureRepository::EncodeKey(entity, row.key, &w.entity_key));
    w.event_time = row.event_time;
    EncodeRow(group.features, row.features, &w.row);
    s.online.push_back(std::move(w));
    // The offline row keeps its place; write_seq is filled in once known (see Write).
  }
  s.pending_rows.insert(s.pending_rows.end(), rows.begin(), rows.end());
  staged_rows_ += static_cast<int64_t>(rows.size());
  return Status::OK();
}

void StreamWriter::DiscardStaged() {
  for (auto& [name, s] : staged_) {
    s.online.clear();
    s.pending_rows.clear();
  }
  staged_rows_ = 0;
}

Status StreamWriter::Write(const std::map<std::string, std::string>& positions, bool* written_online) {
  if (written_online) *written_online = false;
  if (staged_rows_ == 0 && positions.empty()) return Status::OK();
  std::vector<MetadataEntry> metadata;
  for (const auto& [k, v] : positions) metadata.emplace_back(Prefix("pos") + k, v);
  std::vector<OnlineWrite> writes;
  writes.reserve(static_cast<size_t>(staged_rows_));
  uint64_t seq = repo_.last_write_seq();
  std::vector<std::pair<std::string, Pending>> new_pending;
  for (auto& [name, s] : staged_) {
    if (s.online.empty()) continue;
    const uint64_t first = seq + 1;
    for (size_t i = 0; i < s.online.size(); ++i) {
      s.online[i].write_seq = ++seq;
      const FeatureRow& r = s.pending_rows[i];
      s.builder->Append(r.key, r.event_time, static_cast<int64_t>(seq), r.features);
      writes.push_back(std::move(s.online[i]));
    }
    STRATA_ASSIGN_OR_RETURN(auto batch, s.builder->Finish());
    STRATA_ASSIGN_OR_RETURN(std::string ipc, RecordBatchToIpc(*batch));
    Pending p{Prefix("pending") + name + "/" + SeqText(first) + "-" + SeqText(seq), std::move(batch), seq};
    metadata.emplace_back(p.key, std::move(ipc));
    new_pending.emplace_back(name, std::move(p));
    s.online.clear();
    s.pending_rows.clear();
  }
  Status written = repo_.online().Write(writes, seq, metadata);
  if (!written.ok()) {
    DiscardStaged();  // the builders were reset by Finish; nothing of this batch stays staged
    return written;
  }
  repo_.AdvanceWriteSeq(seq);
  if (written_online) *written_online = true;
  for (const auto& [k, v] : positions) last_positions_[k] = v;
  if (pending_rows_ == 0 && !new_pending.empty()) oldest_pending_ = std::chrono::steady_clock::now();
  for (auto& [name, p] : new_pending) {
    pending_rows_ += p.batch->num_rows();
    pending_[name].push_back(std::move(p));
  }
  staged_rows_ = 0;
  return CommitIfDue();
}

Status StreamWriter::CommitIfDue() {
  // A commit that finished tells how it went now, not only when the next one starts.
  if (offline_in_flight_.valid() &&
      offline_in_flight_.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
    STRATA_RETURN_NOT_OK(offline_in_flight_.get());
  const bool due = pending_rows_ >= options_.commit_rows ||
                   (pending_rows_ > 0 && std::chrono::steady_clock::now() - oldest_pending_ >= options_.commit_interval);
  return due ? StartOfflineCommit() : Status::OK();
}

StreamWriter::~StreamWriter() { (void)WaitForOfflineCommit(); }

Status StreamWriter::CommitOffline() {
  STRATA_RETURN_NOT_OK(StartOfflineCommit());
  return WaitForOfflineCommit();
}

Status StreamWriter::WaitForOfflineCommit() {
  if (!offline_in_flight_.valid()) return Status::OK();
  return offline_in_flight_.get();
}

Status StreamWriter::StartOfflineCommit() {
  // One commit at a time: snapshots stay in write_seq order per group (what Recover relies on).
  STRATA_RETURN_NOT_OK(WaitForOfflineCommit());
  if (pending_.empty()) return Status::OK();
  // The positions as online metadata entries: a restore that replays these rows online from the
  // offline table (FeatureRepository's reconciliation) puts the positions back with them.
  nlohmann::json positions = nlohmann::json::object();
  for (const auto& [k, v] : last_positions_) positions[Prefix("pos") + k] = v;
  offline_in_flight_ = std::async(std::launch::async, [this, pending = std::move(pending_), p = positions.dump()]() mutable {
    // Encoding a commit's Parquet files takes seconds of CPU; the consumer thread, whose
    // batches set the freshness, goes first (a nice value for this thread only, on Linux).
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
    return CommitPending(std::move(pending), std::move(p));
  });
  pending_.clear();
  pending_rows_ = 0;
  return Status::OK();
}

Status StreamWriter::CommitPending(std::map<std::string, std::vector<Pending>> pending, std::string positions) {
  const auto start = std::chrono::steady_clock::now();
  STRATA_RETURN_NOT_OK(CommitPendingGroups(std::move(pending), std::move(positions)));
  if (options_.on_offline_commit)
    options_.on_offline_commit(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return Status::OK();
}

Status StreamWriter::CommitPendingGroups(std::map<std::string, std::vector<Pending>> pending, std::string positions) {
  STRATA_ASSIGN_OR_RETURN(OfflineStore * offline, repo_.offline());
  for (auto& [name, batches] : pending) {
    STRATA_ASSIGN_OR_RETURN(const FeatureGroupDef* group, repo_.FindGroup(name));
    const EntityDef& entity = repo_.EntityOf(*group);
    STRATA_RETURN_NOT_OK(offline->SyncGroup(entity, *group));
    STRATA_ASSIGN_OR_RETURN(auto append, offline->NewAppend(entity, *group));
    uint64_t last = 0;
    std::vector<std::string> keys;
    for (const auto& p : batches) {
      STRATA_RETURN_NOT_OK(append->Write(p.batch));
      last = std::max(last, p.last_seq);
      keys.push_back(p.key);
    }
    STRATA_ASSIGN_OR_RETURN(auto snapshot, append->Commit({{kMaxWriteSeqProperty, std::to_string(last)},
                                                           {"strata.stream", options_.name},
                                                           {kMetadataProperty, positions}}));
    (void)snapshot;
    ++offline_commits_;
    // Committed offline: the pending copies go. (A crash before this line leaves them, and
    // Recover skips them: their write_seq are not above the table's highest.)
    STRATA_RETURN_NOT_OK(repo_.online().DeleteMetadata(keys));
  }
  return Status::OK();
}

Result<std::map<std::string, std::string>> StreamWriter::Positions(const std::string& prefix) const {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : last_positions_)
    if (k.rfind(prefix, 0) == 0) out[k] = v;
  return out;
}

}  // namespace strata
