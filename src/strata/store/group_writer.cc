#include "strata/store/group_writer.h"

#include <arrow/array.h>
#include <arrow/record_batch.h>

#include <nlohmann/json.hpp>

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "strata/core/column_row_encoder.h"
#include "strata/core/key_codec.h"
#include "strata/core/row_codec.h"
#include "strata/core/sorted_order.h"

namespace strata {

namespace {
constexpr size_t kBuilderRows = 64 * 1024;
constexpr size_t kOnlineBatchRows = 1 << 20;
// `a` as an array of `type`, which has the same physical layout (int64 as timestamp, a field
// type carrying Iceberg metadata): zero-copy.
std::shared_ptr<arrow::Array> Retyped(const std::shared_ptr<arrow::Array>& a, const std::shared_ptr<arrow::DataType>& type) {
  if (a->type()->Equals(*type)) return a;
  auto data = a->data()->Copy();
  data->type = type;
  return arrow::MakeArray(std::move(data));
}

}  // namespace

GroupColumns GroupColumns::Slice(int64_t offset, int64_t length) const {
  GroupColumns out;
  out.rows = length;
  out.key = key->Slice(offset, length);
  out.event_time = event_time->Slice(offset, length);
  for (const auto& f : features) out.features.push_back(f->Slice(offset, length));
  return out;
}

Result<std::unique_ptr<GroupWriter>> GroupWriter::Make(FeatureRepository& repo, const FeatureGroupDef& group) {
  std::unique_ptr<GroupWriter> w(new GroupWriter(repo, group));
  const EntityDef& entity = repo.EntityOf(group);
  STRATA_ASSIGN_OR_RETURN(OfflineStore * offline, repo.offline());
  STRATA_RETURN_NOT_OK(offline->SyncGroup(entity, group));
  STRATA_ASSIGN_OR_RETURN(w->append_, offline->NewAppend(entity, group));
  w->builder_ = std::make_unique<RowBatchBuilder>(entity, group);
  w->next_seq_ = repo.last_write_seq() + 1;
  w->online_write_seq_ = repo.last_write_seq();
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

Status GroupWriter::AppendColumns(const GroupColumns& columns) {
  const int64_t n = columns.rows;
  if (n == 0) return Status::OK();
  if (!ColumnsEncodable(group_.features) || columns.features.size() != group_.features.size())
    return Status::Internal("columnar rows for group " + group_.name + " that cannot be written as columns");
  const auto key_type = repo_.EntityOf(group_).key_type == KeyType::kInt64 ? arrow::Type::INT64 : arrow::Type::STRING;
  const auto time_type = columns.event_time->type_id();
  if (columns.key->type_id() != key_type || columns.key->null_count() > 0 || columns.event_time->null_count() > 0 ||
      (time_type != arrow::Type::INT64 && time_type != arrow::Type::TIMESTAMP))
    return Status::Internal("columnar rows for group " + group_.name + " with keys or times of the wrong type, or null");
  STRATA_RETURN_NOT_OK(FlushBatch());  // rows appended before these keep their place
  const uint64_t first_seq = next_seq_;
  next_seq_ += static_cast<uint64_t>(n);
  // Offline: the columns as they are, with write_seq, in the table's types.
  const auto& schema = builder_->schema();
  std::vector<int64_t> seqs(n);
  for (int64_t i = 0; i < n; ++i) seqs[i] = static_cast<int64_t>(first_seq) + i;
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  arrays.push_back(Retyped(columns.key, schema->field(0)->type()));
  arrays.push_back(Retyped(columns.event_time, schema->field(1)->type()));
  arrays.push_back(std::make_shared<arrow::Int64Array>(n, arrow::Buffer::FromVector(std::move(seqs))));
  for (size_t f = 0; f < columns.features.size(); ++f)
    arrays.push_back(Retyped(columns.features[f], schema->field(static_cast<int>(f) + 3)->type()));
  STRATA_RETURN_NOT_OK(append_->Write(arrow::RecordBatch::Make(schema, n, std::move(arrays))));
  // Online: keys and rows encoded column by column.
  std::vector<std::string> rows(n);
  EncodeRowsFromColumns(group_.features, columns.features, &rows);
  const int64_t* times = columns.event_time->data()->GetValues<int64_t>(1);
  const size_t base = online_.size();
  online_.resize(base + n);
  for (int64_t i = 0; i < n; ++i) {
    OnlineWrite& w = online_[base + i];
    w.group = &group_;
    if (columns.key->type_id() == arrow::Type::INT64) {
      AppendInt64Key(&w.entity_key, static_cast<const arrow::Int64Array&>(*columns.key).Value(i));
    } else {
      AppendStringKey(&w.entity_key, static_cast<const arrow::StringArray&>(*columns.key).GetView(i));
    }
    w.event_time = times[i];
    w.write_seq = first_seq + static_cast<uint64_t>(i);
    w.row = std::move(rows[i]);
  }
  return Status::OK();
}

Status GroupWriter::FlushBatch() {
  if (builder_->rows() == 0) return Status::OK();
  STRATA_ASSIGN_OR_RETURN(auto batch, builder_->Finish());
  return append_->Write(batch);
}

GroupWriter::~GroupWriter() { (void)Finish(); }

Status GroupWriter::CollectOldest() {
  const auto start = std::chrono::steady_clock::now();
  OnlineOutcome outcome = in_flight_.front().get();
  in_flight_.pop_front();
  online_wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (outcome.spare.capacity() > 0) spares_.push_back(std::move(outcome.spare));
  if (outcome.status.ok()) online_write_seq_ = outcome.last_write_seq;
  return outcome.status;
}

Status GroupWriter::Finish() {
  Status first;
  while (!in_flight_.empty()) {
    Status st = CollectOldest();
    if (first.ok()) first = std::move(st);
  }
  return first;
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
  // The online write visits rows in key order: they are handed over in that order, sorted here,
  // beside the previous commit's online write, rather than on its thread, the slower one. Each
  // online batch is sorted on its own (stably: a key's rows keep their write_seq order), so that
  // a batch still holds one range of write_seq, which the write_seq it records covers.
  for (size_t begin = 0; begin < online_.size(); begin += kOnlineBatchRows) {
    const size_t n = std::min(kOnlineBatchRows, online_.size() - begin);
    sort_keys_.resize(n);
    for (size_t i = 0; i < n; ++i) sort_keys_[i] = online_[begin + i].entity_key;
    const std::vector<uint32_t> order = SortedOrder(sort_keys_);
    sorted_.clear();
    sorted_.reserve(n);
    for (uint32_t i : order) sorted_.push_back(std::move(online_[begin + i]));
    std::move(sorted_.begin(), sorted_.end(), online_.begin() + static_cast<std::ptrdiff_t>(begin));
  }
  while (in_flight_.size() >= kOnlineDepth) STRATA_RETURN_NOT_OK(CollectOldest());
  // Online writes stay in commit order: each starts once the one before has ended (and not at
  // all after a failed one: its rows, offline already, are replayed at the next open).
  auto done = std::make_shared<std::promise<void>>();
  std::shared_future<void> previous = std::exchange(newest_done_, done->get_future().share());
  in_flight_.push_back(std::async(std::launch::async, [&online = repo_.online(), writes = std::move(online_), last,
                                                       meta = std::vector<MetadataEntry>(metadata.begin(), metadata.end()),
                                                       seconds = online_seconds_, failed = online_failed_, previous,
                                                       done]() mutable {
    pthread_setname_np(pthread_self(), "strata:online");  // in top -H and profiles
    struct SignalDone {
      std::shared_ptr<std::promise<void>> done;
      ~SignalDone() { done->set_value(); }
    } signal{done};
    if (previous.valid()) previous.wait();
    OnlineOutcome outcome;
    outcome.last_write_seq = last;
    if (failed->load()) {
      outcome.status = Status::FailedPrecondition(
          "an earlier online write of this writer failed: these rows are in the offline store and are written online "
          "when the repository is next opened");
    } else {
      const auto start = std::chrono::steady_clock::now();
      outcome.status = WriteOnlineInBatches(online, writes, last, meta);
      if (!outcome.status.ok()) failed->store(true);
      const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      seconds->store(seconds->load() + took);  // one online write at a time
    }
    writes.clear();  // here, off the reading thread
    outcome.spare = std::move(writes);
    return outcome;
  }));
  if (spares_.empty()) {
    online_ = {};
  } else {
    online_ = std::move(spares_.back());
    spares_.pop_back();
  }
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
    uint64_t seq = last_write_seq;  // a batch's rows are one range of write_seq, in any order
    if (!final_batch) {
      seq = 0;
      for (size_t k = i; k < i + n; ++k) seq = std::max(seq, writes[k].write_seq);
    }
    STRATA_RETURN_NOT_OK(online.Write(writes.subspan(i, n), seq,
                                      final_batch ? metadata : std::span<const MetadataEntry>()));
    i += n;
  } while (i < writes.size());
  return Status::OK();
}

}  // namespace strata
