// Arrow record batch streams as sources: Parquet files read batch by batch, and tables handed
// over in memory (the Python package's Store.ingest) through the Arrow C stream interface.

#include <arrow/record_batch.h>

#include "strata/ingest/arrow_batch_rows.h"
#include "strata/ingest/record_reader.h"

namespace strata {

namespace {

class ArrowStreamReader final : public RecordReader {
 public:
  ArrowStreamReader(std::shared_ptr<arrow::RecordBatchReader> batches, ArrowBatchRows rows, std::string name,
                    std::shared_ptr<void> owner)
      : batches_(std::move(batches)), rows_(std::move(rows)), name_(std::move(name)), owner_(std::move(owner)) {}

  Result<size_t> Read(size_t /*max_records*/, std::vector<SourceRecord>* out) override {
    std::shared_ptr<arrow::RecordBatch> batch;
    arrow::Status st = batches_->ReadNext(&batch);
    if (!st.ok()) return Status::Corruption(name_ + " near row " + std::to_string(next_row_) + ": " + st.ToString());
    if (!batch) return size_t{0};
    rows_.Convert(*batch, next_row_, out);
    next_row_ += batch->num_rows();
    return static_cast<size_t>(batch->num_rows());
  }

  void set_ignored_columns(std::vector<std::string> c) { ignored_columns_ = std::move(c); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> batches_;
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
