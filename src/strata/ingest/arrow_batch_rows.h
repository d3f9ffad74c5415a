#pragma once
// Turns Arrow record batches (from CSV or Parquet) into source records: finds the key,
// event-time and feature columns by name and converts them column by column.

#include <arrow/type_fwd.h>

#include <memory>
#include <string>
#include <vector>

#include "strata/ingest/record_reader.h"

namespace strata {

class ArrowBatchRows {
 public:
  // Fails when the key or event-time column is missing from `schema`.
  static Result<ArrowBatchRows> Make(const arrow::Schema& schema, const SourceLayout& layout, const std::string& path,
                                     std::vector<std::string>* ignored_columns);

  // Appends one record per row of `batch`; `first_line` is the position of its first row.
  void Convert(const arrow::RecordBatch& batch, int64_t first_line, std::vector<SourceRecord>* out) const;

 private:
  SourceLayout layout_;
  int key_column_ = -1;
  int time_column_ = -1;
  std::vector<int> feature_columns_;  // per group feature: its column, or -1 when absent
};

}  // namespace strata
