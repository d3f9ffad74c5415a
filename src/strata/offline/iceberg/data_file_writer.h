#pragma once
// Writes record batches of a table's Arrow schema into Parquet data files partitioned by
// day(event_time): one open file per day, rolled at a target size, zstd-compressed. Closing
// returns each file as an Iceberg DataFile with its column statistics, read back from the
// Parquet footer (value and null counts, bounds, sizes) so they match the bytes exactly.

#include <arrow/type_fwd.h>
#include <parquet/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "strata/core/status.h"
#include "strata/offline/iceberg/manifest.h"

namespace strata::iceberg {

struct DataFileWriterOptions {
  std::string data_dir;            // <table>/data
  std::string partition_name;      // e.g. ts_day
  int event_time_column = 1;       // index of the event time in the batches
  int64_t target_file_bytes = 256LL << 20;
  int64_t row_group_rows = 128 * 1024;
};

class DataFileWriter {
 public:
  DataFileWriter(std::shared_ptr<arrow::Schema> schema, DataFileWriterOptions options);
  ~DataFileWriter();

  Status Write(const std::shared_ptr<arrow::RecordBatch>& batch);
  // Closes every open file; returns all files written.
  Result<std::vector<DataFile>> Finish();
  // Deletes every file written so far (after a failed commit).
  void Abort();
  int64_t rows() const { return rows_; }

 private:
  struct OpenFile;
  Status WriteDay(int32_t day, const std::shared_ptr<arrow::RecordBatch>& batch);
  Status Close(OpenFile& f);

  std::shared_ptr<arrow::Schema> schema_;
  DataFileWriterOptions options_;
  std::map<int32_t, std::unique_ptr<OpenFile>> open_;
  std::vector<DataFile> done_;
  std::vector<std::string> paths_;
  int64_t rows_ = 0;
};

// The Parquet encoding of a column of a table's schema: dictionaries for text, deltas for
// integers and times, plain for the rest. Each is read by Arrow (pyiceberg), DuckDB and
// Spark's Iceberg reader (vectorized); BYTE_STREAM_SPLIT is not (Iceberg 1.10, DuckDB 1.4).
parquet::Encoding::type ColumnEncoding(const arrow::Field& field);

// Statistics of a finished Parquet file (top-level primitive columns and list elements, by field id).
Status FillStatsFromFooter(const std::string& path, DataFile* file);

}  // namespace strata::iceberg
