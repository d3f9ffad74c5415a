#pragma once
// Writes record batches to a file whose extension picks the format: .parquet, .csv (lists as
// JSON text, null as an empty field) or .jsonl (one JSON object per row).

#include <arrow/type_fwd.h>

#include <memory>
#include <string>

#include "strata/core/status.h"

namespace strata::cli {

class TableFileWriter {
 public:
  virtual ~TableFileWriter() = default;
  virtual Status Write(const arrow::RecordBatch& batch) = 0;
  virtual Status Close() = 0;
};

struct TableFileOptions {
  int64_t parquet_row_group_rows = 1 << 20;  // rows per Parquet row group at most
};

Result<std::unique_ptr<TableFileWriter>> OpenTableFileWriter(const std::string& path,
                                                             const std::shared_ptr<arrow::Schema>& schema,
                                                             const TableFileOptions& options = {});

}  // namespace strata::cli
