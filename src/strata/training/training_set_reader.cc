#include "strata/training/training_set_reader.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "strata/training/key_hash.h"
#include "strata/training/spine_source.h"

namespace strata::training {

namespace {

arrow::Status ToArrow(const Status& st) {
  return st.ok() ? arrow::Status::OK() : arrow::Status::Invalid(st.message());
}

class TrainingSetReader final : public arrow::RecordBatchReader {
 public:
  TrainingSetReader(std::shared_ptr<arrow::RecordBatchReader> spine, std::vector<MergedGroup> groups, int partitions,
                    std::string spill_dir)
      : spine_(std::move(spine)), groups_(std::move(groups)), partitions_(partitions), spill_dir_(std::move(spill_dir)) {
    arrow::FieldVector fields = spine_->schema()->fields();
    for (const auto& g : groups_)
      for (const auto& f : g.results->schema()->fields()) fields.push_back(f);
    schema_ = arrow::schema(fields);
  }
  ~TrainingSetReader() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    space_.notify_all();
    if (worker_.joinable()) worker_.join();
    cursors_.clear();
    groups_.clear();
    std::error_code ec;
    std::filesystem::remove_all(spill_dir_, ec);
  }

  Status Init() {
    for (auto& g : groups_) {
      Group state;
      for (int p = 0; p < partitions_; ++p) {
        STRATA_ASSIGN_OR_RETURN(auto c, g.results->OpenCursor(p));
        g.results->Release(p);  // the cursor holds what it still needs
        state.cursors.push_back(std::move(c));
      }
      state.pending.resize(partitions_);
      state.offset.resize(partitions_, 0);
      cursors_.push_back(std::move(state));
    }
    return Status::OK();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  // Batches are merged on a thread of their own, up to kAhead ahead of the consumer, which is
  // usually busy encoding the previous ones into Parquet.
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    std::unique_lock lock(mu_);
    if (!worker_.joinable() && !done_) worker_ = std::thread([this] { Produce(); });
    ready_.wait(lock, [&] { return !queue_.empty() || done_; });
    if (!queue_.empty()) {
      *out = std::move(queue_.front());
      queue_.pop_front();
      space_.notify_one();
      return arrow::Status::OK();
    }
    *out = nullptr;
    return status_;
  }

 private:
  static constexpr size_t kAhead = 2;

  void Produce() {
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      arrow::Status st = MergeNext(&batch);
      std::unique_lock lock(mu_);
      if (!st.ok() || !batch) {
        status_ = st;
        done_ = true;
        ready_.notify_all();
        return;
      }
      space_.wait(lock, [&] { return queue_.size() < kAhead || stop_; });
      if (stop_) return;
      queue_.push_back(std::move(batch));
      ready_.notify_one();
    }
  }

  // The next spine batch with its features, or nullptr at the end.
  arrow::Status MergeNext(std::shared_ptr<arrow::RecordBatch>* out) {
    std::shared_ptr<arrow::RecordBatch> batch;
    do {
      ARROW_RETURN_NOT_OK(spine_->ReadNext(&batch));
    } while (batch && batch->num_rows() == 0);
    if (!batch) {
      *out = nullptr;
      return arrow::Status::OK();
    }
    arrow::ArrayVector columns = batch->columns();
    for (size_t g = 0; g < groups_.size(); ++g) {
      auto r = MergeGroup(g, *batch);
      if (!r.ok()) return ToArrow(r.status());
      for (auto& c : *r) columns.push_back(std::move(c));
    }
    *out = arrow::RecordBatch::Make(schema_, batch->num_rows(), std::move(columns));
    return arrow::Status::OK();
  }

  struct Group {
    std::vector<std::unique_ptr<PartitionedSpill::Cursor>> cursors;
    std::vector<std::shared_ptr<arrow::RecordBatch>> pending;
    std::vector<int64_t> offset;
  };

  // The next `count` result rows of one partition, as slices.
  Status Pull(Group& state, int p, int64_t count, std::vector<std::shared_ptr<arrow::RecordBatch>>* pieces) {
    while (count > 0) {
      auto& pending = state.pending[p];
      if (!pending || state.offset[p] == pending->num_rows()) {
        STRATA_ASSIGN_OR_RETURN(pending, state.cursors[p]->Next());
        state.offset[p] = 0;
        if (!pending) return Status::Internal("training-set results ended early in partition " + std::to_string(p));
      }
      const int64_t take = std::min(count, pending->num_rows() - state.offset[p]);
      pieces->push_back(pending->Slice(state.offset[p], take));
      state.offset[p] += take;
      count -= take;
    }
    return Status::OK();
  }

  Result<arrow::ArrayVector> MergeGroup(size_t g, const arrow::RecordBatch& batch) {
    const MergedGroup& group = groups_[g];
    Group& state = cursors_[g];
    const int64_t n = batch.num_rows();
    STRATA_ASSIGN_OR_RETURN(auto keys, SpineKeys(batch.GetColumnByName(group.entity.key), group.entity));
    PartitionsOf(*keys, partitions_, &parts_);
    std::vector<int64_t> counts(partitions_, 0);
    bool null_keys = false;
    for (int32_t p : parts_) {
      if (p >= 0) {
        ++counts[p];
      } else {
        null_keys = true;
      }
    }
    std::vector<std::shared_ptr<arrow::RecordBatch>> pieces;
    std::vector<int64_t> base(partitions_, 0);
    int64_t total = 0;
    for (int p = 0; p < partitions_; ++p) {
      base[p] = total;
      total += counts[p];
      STRATA_RETURN_NOT_OK(Pull(state, p, counts[p], &pieces));
    }
    std::shared_ptr<arrow::RecordBatch> joined;
    if (pieces.size() == 1) {
      joined = pieces[0];
    } else if (pieces.empty()) {
      auto empty = arrow::RecordBatch::MakeEmpty(group.results->schema());
      if (!empty.ok()) return Status::Internal(empty.status().ToString());
      joined = *empty;
    } else {
      auto r = arrow::ConcatenateRecordBatches(pieces);
      if (!r.ok()) return Status::Internal("merging training-set results: " + r.status().ToString());
      joined = *r;
    }
    // Rows of one partition keep their order: one partition and no null key is the identity.
    if (!null_keys && (partitions_ == 1 || total == counts[parts_.empty() ? 0 : parts_[0]])) return joined->columns();
    arrow::Int64Builder idx;
    if (auto st = idx.Reserve(n); !st.ok()) return Status::Internal(st.ToString());
    std::vector<int64_t> next = base;
    for (int64_t i = 0; i < n; ++i) {
      if (parts_[i] < 0) {
        idx.UnsafeAppendNull();  // a null key: null features (rule 5)
      } else {
        idx.UnsafeAppend(next[parts_[i]]++);
      }
    }
    std::shared_ptr<arrow::Array> indices;
    if (auto st = idx.Finish(&indices); !st.ok()) return Status::Internal(st.ToString());
    auto taken = arrow::compute::Take(joined, indices, arrow::compute::TakeOptions::NoBoundsCheck());
    if (!taken.ok()) return Status::Internal("merging training-set results: " + taken.status().ToString());
    return taken->record_batch()->columns();
  }

  std::shared_ptr<arrow::RecordBatchReader> spine_;
  std::vector<MergedGroup> groups_;
  std::vector<Group> cursors_;
  int partitions_;
  std::string spill_dir_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<int32_t> parts_;

  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::shared_ptr<arrow::RecordBatch>> queue_;
  bool done_ = false, stop_ = false;
  arrow::Status status_;
  std::thread worker_;
};

}  // namespace

Result<std::shared_ptr<arrow::RecordBatchReader>> MakeTrainingSetReader(std::shared_ptr<arrow::RecordBatchReader> spine,
                                                                        std::vector<MergedGroup> groups, int partitions,
                                                                        std::string spill_dir) {
  auto reader = std::make_shared<TrainingSetReader>(std::move(spine), std::move(groups), partitions, std::move(spill_dir));
  STRATA_RETURN_NOT_OK(reader->Init());
  return std::shared_ptr<arrow::RecordBatchReader>(reader);
}

}  // namespace strata::training
