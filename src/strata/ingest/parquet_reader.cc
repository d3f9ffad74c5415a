// Parquet sources, read batch by batch with Arrow's Parquet reader.

#include <arrow/api.h>
#include <arrow/io/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/exception.h>

#include "strata/ingest/arrow_batch_rows.h"
#include "strata/ingest/record_reader.h"

namespace strata {

namespace {

class ParquetReader final : public RecordReader {
 public:
  Status Open(const std::string& path, const SourceLayout& layout) {
    path_ = path;
    auto file = arrow::io::ReadableFile::Open(path);
    if (!file.ok()) return Status::IOError(path + ": " + file.status().ToString());
    parquet::ArrowReaderProperties props;
    props.set_batch_size(64 * 1024);
    parquet::arrow::FileReaderBuilder builder;
    arrow::Status st = builder.Open(*file);
    if (!st.ok()) return Status::InvalidArgument(path + ": not a readable Parquet file: " + st.ToString());
    auto reader = builder.properties(props)->Build();
    if (!reader.ok()) return Status::InvalidArgument(path + ": " + reader.status().ToString());
    file_reader_ = std::move(*reader);
    auto batches = file_reader_->GetRecordBatchReader();
    if (!batches.ok()) return Status::InvalidArgument(path + ": " + batches.status().ToString());
    batches_ = std::move(*batches);
    STRATA_ASSIGN_OR_RETURN(auto rows, ArrowBatchRows::Make(*batches_->schema(), layout, path, &ignored_columns_));
    rows_.emplace(std::move(rows));
    return Status::OK();
  }

  Result<size_t> Read(size_t /*max_records*/, std::vector<SourceRecord>* out) override {
    std::shared_ptr<arrow::RecordBatch> batch;
    arrow::Status st = batches_->ReadNext(&batch);
    if (!st.ok()) return Status::Corruption(path_ + " near row " + std::to_string(next_row_) + ": " + st.ToString());
    if (!batch) return size_t{0};
    rows_->Convert(*batch, next_row_, out);
    next_row_ += batch->num_rows();
    return static_cast<size_t>(batch->num_rows());
  }

 private:
  std::string path_;
  std::unique_ptr<parquet::arrow::FileReader> file_reader_;
  std::unique_ptr<arrow::RecordBatchReader> batches_;
  std::optional<ArrowBatchRows> rows_;
  int64_t next_row_ = 1;
};

}  // namespace

Result<std::unique_ptr<RecordReader>> OpenParquetReader(const std::string& path, const SourceLayout& layout) {
  auto reader = std::make_unique<ParquetReader>();
  Status st;
  try {
    st = reader->Open(path, layout);
  } catch (const parquet::ParquetException& e) {
    st = Status::InvalidArgument(path + ": not a readable Parquet file: " + e.what());
  }
  STRATA_RETURN_NOT_OK(st);
  return std::unique_ptr<RecordReader>(std::move(reader));
}

}  // namespace strata
