// Parquet sources, read batch by batch with Arrow's Parquet reader (see arrow_stream_reader.cc).

#include <arrow/api.h>
#include <arrow/io/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/exception.h>

#include "strata/ingest/record_reader.h"

namespace strata {

Result<std::unique_ptr<RecordReader>> OpenParquetReader(const std::string& path, const SourceLayout& layout) {
  try {
    // Memory-mapped: column chunks are read in place from the page cache. Read into buffers,
    // each row group's chunks landed in freshly allocated memory, zeroed by the kernel first:
    // a tenth of a 20M-row ingest's reading thread. Files that cannot be mapped are read.
    std::shared_ptr<arrow::io::RandomAccessFile> file;
    if (auto mapped = arrow::io::MemoryMappedFile::Open(path, arrow::io::FileMode::READ); mapped.ok()) {
      file = std::move(*mapped);
    } else {
      auto read = arrow::io::ReadableFile::Open(path);
      if (!read.ok()) return Status::IOError(path + ": " + read.status().ToString());
      file = std::move(*read);
    }
    parquet::ArrowReaderProperties props;
    props.set_batch_size(64 * 1024);
    parquet::arrow::FileReaderBuilder builder;
    arrow::Status st = builder.Open(file);
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
