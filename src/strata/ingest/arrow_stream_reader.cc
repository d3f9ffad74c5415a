// Arrow record batch streams as sources: Parquet files read batch by batch, and tables handed
// over in memory (the Python package's Store.ingest) through the Arrow C stream interface.

#include <arrow/record_batch.h>

#include <algorithm>

#include "strata/ingest/arrow_batch_rows.h"
#include "strata/ingest/record_reader.h"

namespace strata {

namespace {

class ArrowStreamReader final : public RecordReader {
 public:
  ArrowStreamReader(std::shared_ptr<arrow::RecordBatchReader> batches, ArrowBatchRows rows, std::string name,
                    std::shared_ptr<void> owner)
      : batches_(std::move(batches)), rows_(std::move(rows)), name_(std::move(name)), owner_(std::move(owner)) {}

  Result<size_t> Read(size_t max_records, std::vector<SourceRecord>* out) override {
    STRATA_ASSIGN_OR_RETURN(auto batch, Next(max_records));
    if (!batch) return size_t{0};
    rows_.Convert(*batch, next_row_, out);
    next_row_ += batch->num_rows();
    return static_cast<size_t>(batch->num_rows());
  }

  Result<size_t> ReadChunk(size_t max_records, SourceChunk* chunk) override {
    chunk->records.clear();
    chunk->columns = std::nullopt;
    STRATA_ASSIGN_OR_RETURN(auto batch, Next(max_records));
    if (!batch) return size_t{0};
    chunk->columns = rows_.ConvertColumns(*batch);
    if (!chunk->columns) rows_.Convert(*batch, next_row_, &chunk->records);
    next_row_ += batch->num_rows();
    return static_cast<size_t>(batch->num_rows());
  }

  void set_ignored_columns(std::vector<std::string> c) { ignored_columns_ = std::move(c); }

 private:
  // The next up to `max_rows` rows (at least one: a batch is never split below that).
  Result<std::shared_ptr<arrow::RecordBatch>> Next(size_t max_rows) {
    while (!pending_ || pending_->num_rows() == 0) {
      arrow::Status st = batches_->ReadNext(&pending_);
      if (!st.ok()) return Status::Corruption(name_ + " near row " + std::to_string(next_row_) + ": " + st.ToString());
      if (!pending_) return std::shared_ptr<arrow::RecordBatch>();
    }
    const int64_t n = std::min<int64_t>(pending_->num_rows(), static_cast<int64_t>(std::max<size_t>(max_rows, 1)));
    auto batch = pending_->Slice(0, n);
    pending_ = pending_->Slice(n);
    return batch;
  }

  std::shared_ptr<arrow::RecordBatchReader> batches_;
  std::shared_ptr<arrow::RecordBatch> pending_;  // what the last read left of its batch
  ArrowBatchRows rows_;
  std::string name_;
  std::shared_ptr<void> owner_;  // what `batches_` reads from, when it does not own it
  int64_t next_row_ = 1;
};

}  // namespace

Result<std::unique_ptr<RecordReader>> OpenArrowStreamReader(std::shared_ptr<arrow::RecordBatchReader> batches,
                                                            const SourceLayout& layout, const std::string& name,
                                                            std::shared_ptr<void> owner) {
  std::vector<std::string> ignored;
  STRATA_ASSIGN_OR_RETURN(auto rows, ArrowBatchRows::Make(*batches->schema(), layout, name, &ignored));
  auto reader = std::make_unique<ArrowStreamReader>(std::move(batches), std::move(rows), name, std::move(owner));
  reader->set_ignored_columns(std::move(ignored));
  return std::unique_ptr<RecordReader>(std::move(reader));
}

}  // namespace strata
