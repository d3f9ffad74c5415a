#include "strata/core/arrow_status.h"
#include "strata/training/training_set.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <parquet/arrow/reader.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "strata/core/arrow_types.h"
#include "strata/core/file_io.h"
#include "strata/offline/iceberg/table_schema.h"
#include "strata/offline/offline_store.h"
#include "strata/training/as_of_index.h"
#include "strata/training/feature_gather.h"
#include "strata/training/key_hash.h"
#include "strata/training/partitioned_spill.h"
#include "strata/training/training_set_reader.h"

namespace strata::training {

namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Runs fn(i) for i in [0, n) on `threads` threads; returns the first error.
Status ParallelFor(int threads, int64_t n, const std::function<Status(int64_t)>& fn) {
  std::atomic<int64_t> next{0};
  std::mutex mu;
  Status first = Status::OK();
  std::atomic<bool> failed{false};
  auto worker = [&] {
    while (!failed) {
      const int64_t i = next++;
      if (i >= n) return;
      Status st = fn(i);
      if (!st.ok()) {
        std::lock_guard lock(mu);
        if (first.ok()) first = st;
        failed = true;
      }
    }
  };
  const int t = static_cast<int>(std::min<int64_t>(threads, n));
  if (t <= 1) {
    worker();
    return first;
  }
  std::vector<std::thread> pool;
  for (int k = 0; k < t; ++k) pool.emplace_back(worker);
  for (auto& th : pool) th.join();
  return first;
}

// An int64 view of a timestamp[us] (or int64) array.
std::shared_ptr<arrow::Int64Array> AsInt64(const std::shared_ptr<arrow::Array>& a) {
  auto data = a->data()->Copy();
  data->type = arrow::int64();
  return std::make_shared<arrow::Int64Array>(data);
}

// Splits `batch` by partition (rows whose partition is -1 or that `keep` rejects are dropped).
Status AppendSplit(const std::shared_ptr<arrow::RecordBatch>& batch, const std::vector<int32_t>& parts,
                   const std::vector<uint8_t>* keep, PartitionedSpill* out) {
  const int p_count = out->partitions();
  const int64_t n = batch->num_rows();
  bool all_zero = true;
  for (int64_t i = 0; i < n && all_zero; ++i) all_zero = parts[i] == 0 && (!keep || (*keep)[i]);
  if (all_zero) return out->Append(0, batch);
  std::vector<std::vector<int32_t>> rows(p_count);
  for (int64_t i = 0; i < n; ++i)
    if (parts[i] >= 0 && (!keep || (*keep)[i])) rows[parts[i]].push_back(static_cast<int32_t>(i));
  for (int p = 0; p < p_count; ++p) {
    if (rows[p].empty()) continue;
    arrow::Int32Builder b;
    STRATA_RETURN_NOT_OK(FromArrow(b.AppendValues(rows[p]), "partitioning"));
    std::shared_ptr<arrow::Array> idx;
    STRATA_RETURN_NOT_OK(FromArrow(b.Finish(&idx), "partitioning"));
    auto taken = arrow::compute::Take(batch, idx, arrow::compute::TakeOptions::NoBoundsCheck());
    if (!taken.ok()) return FromArrow(taken.status(), "partitioning");
    STRATA_RETURN_NOT_OK(out->Append(p, taken->record_batch()));
  }
  return Status::OK();
}

// All batches of a partition as one batch (contiguous columns).
Result<std::shared_ptr<arrow::RecordBatch>> Combine(const std::shared_ptr<arrow::Schema>& schema,
                                                    std::vector<std::shared_ptr<arrow::RecordBatch>> batches) {
  if (batches.size() == 1) return batches[0];
  if (batches.empty()) {
    auto empty = arrow::RecordBatch::MakeEmpty(schema);
    if (!empty.ok()) return FromArrow(empty.status(), "combining");
    return *empty;
  }
  auto r = arrow::ConcatenateRecordBatches(batches);
  if (!r.ok()) return FromArrow(r.status(), "combining a partition");
  return *r;
}

struct EntityPlan {
  const EntityDef* entity = nullptr;
  std::unique_ptr<PartitionedSpill> spine;  // (key, t) of every spine row with a key
};

struct GroupPlan {
  const GroupRequest* request = nullptr;
  int entity = 0;  // index into the entity plans
  std::vector<iceberg::ManifestEntry> files;
  nlohmann::json schema;  // projection: key, event time, write_seq, the requested features
  std::vector<const FeatureDef*> columns;  // the distinct features read, in projection order
  std::unique_ptr<PartitionedSpill> features;
  std::unique_ptr<PartitionedSpill> results;
  int64_t row_bytes = 0;  // estimated in-memory bytes of one history row
  int64_t history_rows = 0;
};

int64_t ValueBytes(const FeatureDef& f, const iceberg::ManifestEntry* sample) {
  switch (f.type.id) {
    case TypeId::kBool: return 1;
    case TypeId::kInt32:
    case TypeId::kFloat32: return 4;
    case TypeId::kVector: return 4 * int64_t{f.type.dim} + 4;
    case TypeId::kString:
    case TypeId::kBytes:
    case TypeId::kListInt64:
    case TypeId::kListFloat32:
    case TypeId::kListString: {
      const int id = iceberg::FeatureFieldId(f);
      if (sample && sample->file.record_count > 0) {
        auto it = sample->file.column_sizes.find(id);
        if (f.type.is_list()) it = sample->file.column_sizes.find(id + 1);
        if (it != sample->file.column_sizes.end()) return 8 + 3 * it->second / sample->file.record_count;
      }
      return 32;
    }
    default: return 8;
  }
}

// Resolves the --snapshot option into one snapshot per table (nullopt: an empty table).
class SnapshotChooser {
 public:
  static Result<SnapshotChooser> Parse(const std::string& text) {
    SnapshotChooser c;
    if (text.empty()) return c;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t comma = text.find(',', pos);
      if (comma == std::string::npos) comma = text.size();
      const std::string part = text.substr(pos, comma - pos);
      const auto eq = part.find('=');
      try {
        if (eq == std::string::npos) {
          c.any_id_ = std::stoll(part);
        } else {
          c.by_group_[part.substr(0, eq)] = std::stoll(part.substr(eq + 1));
        }
      } catch (...) {
        return Status::InvalidArgument("--snapshot '" + text + "': expected ID or GROUP=ID[,GROUP=ID...]");
      }
      pos = comma + 1;
    }
    return c;
  }
  // Picks each table's snapshot: by group, or as of the commit time of snapshot `any_id_`.
  Result<std::vector<std::optional<iceberg::SnapshotInfo>>> Choose(
      const std::vector<std::pair<std::string, iceberg::Table*>>& tables) const {
    std::vector<std::optional<iceberg::SnapshotInfo>> out(tables.size());
    std::optional<int64_t> as_of_ms;
    if (any_id_) {
      for (const auto& [name, table] : tables)
        if (auto s = table->SnapshotById(*any_id_)) as_of_ms = s->timestamp_ms;
      if (!as_of_ms)
        return Status::NotFound("--snapshot " + std::to_string(*any_id_) +
                                " is not a snapshot of any requested group; see `strata snapshots GROUP`");
    }
    for (size_t i = 0; i < tables.size(); ++i) {
      const auto& [name, table] = tables[i];
      if (auto it = by_group_.find(name); it != by_group_.end()) {
        out[i] = table->SnapshotById(it->second);
        if (!out[i])
          return Status::NotFound("--snapshot: group " + name + " has no snapshot " + std::to_string(it->second) +
                                  "; see `strata snapshots " + name + "`");
      } else if (as_of_ms) {
        out[i] = table->SnapshotById(*any_id_);
        if (!out[i]) out[i] = table->SnapshotAsOf(*as_of_ms);
      } else {
        out[i] = table->CurrentSnapshot();
      }
    }
    for (const auto& [group, id] : by_group_) {
      bool found = false;
      for (const auto& t : tables) found |= t.first == group;
      if (!found) return Status::InvalidArgument("--snapshot names group " + group + ", which no feature ref asks for");
    }
    return out;
  }

 private:
  std::optional<int64_t> any_id_;
  std::map<std::string, int64_t> by_group_;
};

class TrainingSetJob {
 public:
  TrainingSetJob(FeatureRepository& repo, const SpineSource& spine, const std::vector<GroupRequest>& requests,
                 const TrainingSetOptions& options)
      : repo_(repo), spine_(spine), requests_(requests), options_(options) {
    threads_ = options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  }

  Result<std::shared_ptr<arrow::RecordBatchReader>> Run(TrainingSetStats* stats);
  const std::string& spill_dir() const { return spill_dir_; }

 private:
  Status Validate(const arrow::Schema& schema);
  Status PlanGroups();
  int ChoosePartitions(int64_t spine_rows) const;
  Status IndexSpine(arrow::RecordBatchReader& reader);
  Status ReadHistories();
  Status JoinPartition(GroupPlan& g, int partition);

  FeatureRepository& repo_;
  const SpineSource& spine_;
  const std::vector<GroupRequest>& requests_;
  TrainingSetOptions options_;
  int threads_ = 1;
  int partitions_ = 1;
  std::string spill_dir_;
  std::map<std::string, std::shared_ptr<arrow::DataType>> text_types_;
  std::vector<EntityPlan> entities_;
  std::vector<GroupPlan> groups_;
  int64_t spine_rows_ = 0;
  int64_t min_t_ = INT64_MAX, max_t_ = INT64_MIN;
  std::atomic<int64_t> history_rows_read_{0};
};

Status TrainingSetJob::Validate(const arrow::Schema& schema) {
  const std::string& ts = options_.timestamp_column;
  auto ts_field = schema.GetFieldByName(ts);
  if (!ts_field) {
    std::string names;
    for (const auto& f : schema.fields()) names += (names.empty() ? "" : ", ") + f->name();
    return Status::InvalidArgument("spine " + spine_.name() + " has no timestamp column '" + ts +
                                   "' (its columns: " + names + "); pass --timestamp-column");
  }
  for (const auto& e : entities_) {
    auto key = schema.GetFieldByName(e.entity->key);
    std::string needed_by;
    for (const auto& r : requests_)
      if (r.entity == e.entity) needed_by += (needed_by.empty() ? "" : ", ") + r.group->name;
    if (!key)
      return Status::InvalidArgument("spine " + spine_.name() + " has no key column '" + e.entity->key +
                                     "' for entity " + e.entity->name + " (needed by " + needed_by + ")");
    STRATA_RETURN_NOT_OK(CheckSpineKeyType(*key->type(), *e.entity).WithContext("spine " + spine_.name()));
  }
  for (const auto& r : requests_)
    for (const auto& f : r.features)
      if (schema.GetFieldByName(f.column))
        return Status::InvalidArgument("spine column '" + f.column + "' has the name of an output feature column; rename it");
  return Status::OK();
}

Status TrainingSetJob::PlanGroups() {
  STRATA_ASSIGN_OR_RETURN(OfflineStore * offline, repo_.offline());
  std::vector<std::pair<std::string, iceberg::Table*>> tables;
  for (const auto& r : requests_) {
    STRATA_ASSIGN_OR_RETURN(iceberg::Table * table, offline->GetTable(*r.entity, *r.group));
    tables.emplace_back(r.group->name, table);
  }
  STRATA_ASSIGN_OR_RETURN(auto chooser, SnapshotChooser::Parse(options_.snapshot));
  STRATA_ASSIGN_OR_RETURN(auto snapshots, chooser.Choose(tables));
  for (size_t i = 0; i < requests_.size(); ++i) {
    const GroupRequest& r = requests_[i];
    GroupPlan g;
    g.request = &r;
    for (size_t e = 0; e < entities_.size(); ++e)
      if (entities_[e].entity == r.entity) g.entity = static_cast<int>(e);
    if (snapshots[i]) {
      STRATA_ASSIGN_OR_RETURN(g.files, tables[i].second->LiveFiles(*snapshots[i]));
    }
    // Project the current schema (so features added later read as null in older files).
    const nlohmann::json current = tables[i].second->CurrentSchema();
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : r.features) g.columns.push_back(f.feature);  // distinct: ResolveFeatureRefs refuses repeats
    std::vector<int> ids = {iceberg::kKeyFieldId, iceberg::kEventTimeFieldId, iceberg::kWriteSeqFieldId};
    for (const FeatureDef* f : g.columns) ids.push_back(iceberg::FeatureFieldId(*f));
    for (int id : ids) {
      bool found = false;
      for (const auto& field : current["fields"])
        if (field["id"].get<int>() == id) fields.push_back(field), found = true;
      if (!found)
        return Status::FailedPrecondition("the offline table of group " + r.group->name + " lacks field id " +
                                          std::to_string(id) + "; run `strata apply` to sync it");
    }
    g.schema = current;
    g.schema["fields"] = fields;
    const iceberg::ManifestEntry* sample = g.files.empty() ? nullptr : &g.files.front();
    g.row_bytes = 24 + (r.entity->key_type == KeyType::kString ? 24 : 0);
    for (const FeatureDef* f : g.columns) g.row_bytes += ValueBytes(*f, sample);
    for (const auto& f : g.files) g.history_rows += f.file.record_count;
    groups_.push_back(std::move(g));
  }
  return Status::OK();
}

int TrainingSetJob::ChoosePartitions(int64_t spine_rows) const {
  // A task holds its history partition (about twice, while indexing: the rows, the key index
  // and the sorted order) and the spine partition's (key, time) pairs; its results leave in
  // chunks. `threads_` tasks run at once in half the limit.
  int64_t largest = 0;
  for (const auto& g : groups_) {
    const int64_t task = g.history_rows * (g.row_bytes * 2 + 16) + spine_rows * 48;
    largest = std::max(largest, task);
  }
  const int64_t per_task = std::max<int64_t>(options_.memory_limit / 2 / threads_, 16 << 20);
  int64_t p = (largest + per_task - 1) / per_task;
  // Large joins run faster in more, smaller partitions (their hash tables and histories stay
  // in cache; the threads stay busy to the end), up to the cost of merging more of them.
  int64_t history_rows = 0;
  for (const auto& g : groups_) history_rows += g.history_rows;
  if (history_rows > (1 << 20)) p = std::max<int64_t>(p, 8 * threads_);
  return static_cast<int>(std::clamp<int64_t>(p, 1, 4096));
}

Status TrainingSetJob::IndexSpine(arrow::RecordBatchReader& reader) {
  const int ts_index = reader.schema()->GetFieldIndex(options_.timestamp_column);
  std::vector<int> key_index;
  for (const auto& e : entities_) key_index.push_back(reader.schema()->GetFieldIndex(e.entity->key));
  std::vector<int32_t> parts;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    STRATA_RETURN_NOT_OK(FromArrow(reader.ReadNext(&batch), "reading spine " + spine_.name()));
    if (!batch) break;
    if (batch->num_rows() == 0) continue;
    STRATA_ASSIGN_OR_RETURN(auto times, SpineTimes(batch->column(ts_index), options_.timestamp_column, spine_rows_));
    for (int64_t i = 0; i < times->length(); ++i) {
      min_t_ = std::min(min_t_, times->Value(i));
      max_t_ = std::max(max_t_, times->Value(i));
    }
    for (size_t e = 0; e < entities_.size(); ++e) {
      STRATA_ASSIGN_OR_RETURN(auto keys, SpineKeys(batch->column(key_index[e]), *entities_[e].entity));
      PartitionsOf(*keys, partitions_, &parts);
      auto pairs = arrow::RecordBatch::Make(entities_[e].spine->schema(), batch->num_rows(), {keys, times});
      STRATA_RETURN_NOT_OK(AppendSplit(pairs, parts, nullptr, entities_[e].spine.get()));
    }
    spine_rows_ += batch->num_rows();
  }
  for (auto& e : entities_) STRATA_RETURN_NOT_OK(e.spine->Finish());
  return Status::OK();
}

Status TrainingSetJob::ReadHistories() {
  for (auto& g : groups_) {
    const auto lifetime = g.request->group->Lifetime();
    // Rows after the last spine time, or expired before the first, can never be visible.
    const int64_t lo = lifetime && min_t_ != INT64_MAX ? min_t_ - *lifetime : INT64_MIN;
    const int64_t hi = max_t_;
    std::vector<iceberg::ManifestEntry> files;
    for (const auto& f : g.files) {
      auto lb = f.file.lower_bounds.find(iceberg::kEventTimeFieldId), ub = f.file.upper_bounds.find(iceberg::kEventTimeFieldId);
      if (lb != f.file.lower_bounds.end() && lb->second.size() == 8 && ub != f.file.upper_bounds.end() &&
          ub->second.size() == 8) {
        int64_t l, u;
        std::memcpy(&l, lb->second.data(), 8);
        std::memcpy(&u, ub->second.data(), 8);
        if (l > hi || u < lo) continue;
      }
      files.push_back(f);
    }
    // Larger files first, so that the threads finish together.
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return a.file.file_size > b.file.file_size; });
    STRATA_RETURN_NOT_OK(ParallelFor(threads_, static_cast<int64_t>(files.size()), [&](int64_t i) -> Status {
      STRATA_ASSIGN_OR_RETURN(auto scan, iceberg::TableScan::Make({files[i]}, g.schema));
      std::vector<int32_t> parts;
      std::vector<uint8_t> keep;
      while (true) {
        STRATA_ASSIGN_OR_RETURN(auto batch, scan->Next());
        if (!batch) break;
        const int64_t n = batch->num_rows();
        auto times = AsInt64(batch->column(1));
        PartitionsOf(*batch->column(0), partitions_, &parts);
        keep.assign(n, 1);
        int64_t kept = 0;
        for (int64_t r = 0; r < n; ++r) kept += keep[r] = times->Value(r) >= lo && times->Value(r) <= hi;
        history_rows_read_ += kept;
        auto normalized = arrow::RecordBatch::Make(g.features->schema(), n, batch->columns());
        STRATA_RETURN_NOT_OK(AppendSplit(normalized, parts, kept == n ? nullptr : &keep, g.features.get()));
      }
      return Status::OK();
    }));
    STRATA_RETURN_NOT_OK(g.features->Finish());
  }
  return Status::OK();
}

Status TrainingSetJob::JoinPartition(GroupPlan& g, int partition) {
  EntityPlan& e = entities_[g.entity];
  STRATA_ASSIGN_OR_RETURN(auto spine_batches, e.spine->ReadAll(partition));
  STRATA_ASSIGN_OR_RETURN(auto spine, Combine(e.spine->schema(), std::move(spine_batches)));
  STRATA_ASSIGN_OR_RETURN(auto history_batches, g.features->ReadAll(partition));
  g.features->Release(partition);
  STRATA_ASSIGN_OR_RETURN(auto history, Combine(g.features->schema(), std::move(history_batches)));
  history_batches.clear();

  const auto times = AsInt64(history->column(1));
  const auto seqs = AsInt64(history->column(2));
  STRATA_ASSIGN_OR_RETURN(auto index, AsOfIndex::Build(history->column(0), times->raw_values(), seqs->raw_values()));

  const int64_t n = spine->num_rows();
  const auto spine_times = AsInt64(spine->column(1));
  const int64_t* t = spine_times->raw_values();
  const bool int_keys = spine->column(0)->type_id() == arrow::Type::INT64;
  auto find = [&](int64_t i) {
    if (int_keys) return index.Find(static_cast<const arrow::Int64Array&>(*spine->column(0)).Value(i));
    return index.Find(static_cast<const arrow::StringArray&>(*spine->column(0)).GetView(i));
  };
  const FeatureGroupDef& group = *g.request->group;
  const auto lifetime = group.Lifetime();
  auto column_of = [&](const FeatureDef* f) {
    const size_t c = std::find(g.columns.begin(), g.columns.end(), f) - g.columns.begin();
    return history->column(static_cast<int>(3 + c));
  };
  // Spine rows are joined in chunks whose results go to the spill at once, so a task holds
  // one chunk of results at a time (sequences make results many times the spine's size).
  constexpr int64_t kChunk = 32 * 1024;
  std::vector<int64_t> rows, flat, mine;
  std::vector<int32_t> offsets, mine_offsets;
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t m = std::min(kChunk, n - begin);
    arrow::ArrayVector columns;
    if (group.kind == GroupKind::kTable) {
      rows.resize(m);
      for (int64_t i = 0; i < m; ++i) {
        const int64_t pos = index.Latest(find(begin + i), t[begin + i], lifetime);
        rows[i] = pos < 0 ? int64_t{-1} : int64_t{index.row_at(static_cast<uint32_t>(pos))};
      }
      for (const auto& f : g.request->features) {
        STRATA_ASSIGN_OR_RETURN(auto col, GatherRows(column_of(f.feature), rows, f.feature->type));
        columns.push_back(std::move(col));
      }
    } else {
      // Sequences (rule 4): the newest N visible events, newest first.
      const int32_t max_n = g.request->max_last_n();
      flat.clear();
      offsets.assign(m + 1, 0);
      for (int64_t i = 0; i < m; ++i) {
        const int64_t at = t[begin + i];
        const auto range = find(begin + i);
        int64_t pos = index.Latest(range, at, lifetime);
        for (int32_t k = 0; k < max_n && pos >= static_cast<int64_t>(range.first); ++k, --pos) {
          if (lifetime && at - index.time_at(static_cast<uint32_t>(pos)) > *lifetime) break;
          flat.push_back(index.row_at(static_cast<uint32_t>(pos)));
        }
        offsets[i + 1] = static_cast<int32_t>(flat.size());
      }
      for (const auto& f : g.request->features) {
        if (f.last_n == max_n) {
          STRATA_ASSIGN_OR_RETURN(auto col, GatherLists(column_of(f.feature), flat, offsets, f.feature->type));
          columns.push_back(std::move(col));
          continue;
        }
        mine.clear();
        mine_offsets.assign(m + 1, 0);
        for (int64_t i = 0; i < m; ++i) {
          const int32_t len = std::min(offsets[i + 1] - offsets[i], f.last_n);
          mine.insert(mine.end(), flat.begin() + offsets[i], flat.begin() + offsets[i] + len);
          mine_offsets[i + 1] = static_cast<int32_t>(mine.size());
        }
        STRATA_ASSIGN_OR_RETURN(auto col, GatherLists(column_of(f.feature), mine, mine_offsets, f.feature->type));
        columns.push_back(std::move(col));
      }
    }
    STRATA_RETURN_NOT_OK(g.results->Append(partition, arrow::RecordBatch::Make(g.results->schema(), m, columns)));
  }
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatchReader>> TrainingSetJob::Run(TrainingSetStats* stats) {
  const auto started = Clock::now();
  for (const auto& r : requests_) {
    bool seen = false;
    for (const auto& e : entities_) seen |= e.entity == r.entity;
    if (!seen) entities_.push_back({r.entity, nullptr});
  }
  for (const auto& e : entities_)
    text_types_[e.entity->key] = e.entity->key_type == KeyType::kInt64 ? arrow::int64() : arrow::utf8();
  STRATA_ASSIGN_OR_RETURN(auto reader, spine_.Open(text_types_));
  STRATA_RETURN_NOT_OK(Validate(*reader->schema()));
  STRATA_RETURN_NOT_OK(PlanGroups());

  spill_dir_ = !options_.spill_dir.empty() ? options_.spill_dir
                                           : repo_.ResolvePath(".strata/tmp/training-" + RandomUuid());
  // The spine's size is known only after reading it: plan for the memory limit's worth.
  partitions_ = options_.partitions > 0 ? options_.partitions : ChoosePartitions(spine_.EstimatedRows());
  // A quarter of the limit for partitions and results waiting in memory, half for the joins
  // at work, the rest for the merge, the output writer and the allocator's slack.
  auto spill_budget = std::make_shared<SpillBudget>(options_.memory_limit / 4);
  for (auto& e : entities_) {
    auto schema = arrow::schema({arrow::field("key", ArrowTypeOf(e.entity->key_type)), arrow::field("t", arrow::int64())});
    e.spine = std::make_unique<PartitionedSpill>(schema, partitions_, spill_dir_, spill_budget);
  }
  for (auto& g : groups_) {
    STRATA_ASSIGN_OR_RETURN(auto projected, iceberg::ArrowSchemaFromJson(g.schema));
    arrow::FieldVector fields = projected->fields();
    fields[0] = arrow::field("key", ArrowTypeOf(g.request->entity->key_type));
    g.features = std::make_unique<PartitionedSpill>(arrow::schema(fields), partitions_, spill_dir_, spill_budget);
    arrow::FieldVector out;
    for (const auto& f : g.request->features) {
      auto type = ArrowTypeOf(f.feature->type);
      if (f.last_n > 0) type = arrow::list(arrow::field("item", type));
      out.push_back(arrow::field(f.column, type));
    }
    g.results = std::make_unique<PartitionedSpill>(arrow::schema(out), partitions_, spill_dir_, spill_budget);
  }

  STRATA_RETURN_NOT_OK(IndexSpine(*reader));
  reader.reset();
  STRATA_RETURN_NOT_OK(ReadHistories());
  const double indexed = Since(started);

  const int64_t tasks = static_cast<int64_t>(groups_.size()) * partitions_;
  STRATA_RETURN_NOT_OK(ParallelFor(threads_, tasks, [&](int64_t task) {
    return JoinPartition(groups_[task / partitions_], static_cast<int>(task % partitions_));
  }));
  for (auto& g : groups_) STRATA_RETURN_NOT_OK(g.results->Finish());
  for (auto& e : entities_) {
    for (int p = 0; p < partitions_; ++p) e.spine->Release(p);
  }

  if (stats) {
    stats->spine_rows = spine_rows_;
    stats->feature_rows = history_rows_read_;
    stats->partitions = partitions_;
    for (const auto& e : entities_) stats->spilled_bytes += e.spine->spilled_bytes();
    for (const auto& g : groups_) stats->spilled_bytes += g.features->spilled_bytes() + g.results->spilled_bytes();
    stats->index_seconds = indexed;
    stats->join_seconds = Since(started) - indexed;
  }

  STRATA_ASSIGN_OR_RETURN(auto again, spine_.Open(text_types_));
  std::vector<MergedGroup> merged;
  for (auto& g : groups_) {
    MergedGroup m;
    m.entity = *g.request->entity;
    m.results = std::move(g.results);
    merged.push_back(std::move(m));
  }
  return MakeTrainingSetReader(std::move(again), std::move(merged), partitions_, spill_dir_);
}

}  // namespace

Result<std::shared_ptr<arrow::RecordBatchReader>> BuildTrainingSet(FeatureRepository& repo, const SpineSource& spine,
                                                                   const std::vector<GroupRequest>& requests,
                                                                   const TrainingSetOptions& options,
                                                                   TrainingSetStats* stats) {
  if (requests.empty()) return Status::InvalidArgument("no features asked for");
  std::string spill_dir;
  Result<std::shared_ptr<arrow::RecordBatchReader>> reader = Status::OK();
  {
    TrainingSetJob job(repo, spine, requests, options);
    reader = job.Run(stats);
    spill_dir = job.spill_dir();
  }
  if (!reader.ok() && !spill_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(spill_dir, ec);  // the reader owns it otherwise
  }
  return reader;
}

}  // namespace strata::training
