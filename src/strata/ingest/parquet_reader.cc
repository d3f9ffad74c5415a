// Parquet sources, read batch by batch with Arrow's Parquet reader (see arrow_stream_reader.cc).

#include <arrow/api.h>
#include <arrow/io/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/exception.h>

#include "strata/ingest/record_reader.h"

namespace strata {

Result<std::unique_ptr<RecordReader>> OpenParquetReader(const std::string& path, const SourceLayout& layout) {
  try {
    auto file = arrow::io::ReadableFile::Open(path);
    if (!file.ok()) return Status::IOError(path + ": " + file.status().ToString());
    parquet::ArrowReaderProperties props;
    props.set_batch_size(64 * 1024);
    parquet::arrow::FileReaderBuilder builder;
    arrow::Status st = builder.Open(*file);
    if (!st.ok()) return Status::InvalidArgument(path + ": not a readable Parquet file: " + st.ToString());
    auto reader = builder.properties(props)->Build();
    if (!reader.ok()) return Status::InvalidArgument(path + ": " + reader.status().ToString());
    std::shared_ptr<parquet::arrow::FileReader> file_reader = std::move(*reader);
    auto batches = file_reader->GetRecordBatchReader();
    if (!batches.ok()) return Status::InvalidArgument(path + ": " + batches.status().ToString());
    // The batch reader reads through the file reader, which must outlive it.
    return OpenArrowStreamReader(std::shared_ptr<arrow::RecordBatchReader>(std::move(*batches)), layout, path,
                                 std::move(file_reader));
  } catch (const parquet::ParquetException& e) {
    return Status::InvalidArgument(path + ": not a readable Parquet file: " + e.what());
  }
}

}  // namespace strata
