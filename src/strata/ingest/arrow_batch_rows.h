#pragma once
// Turns Arrow record batches (from CSV or Parquet) into source records: finds the key,
// event-time and feature columns by name and converts them column by column.

#include <arrow/type_fwd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/ingest/record_reader.h"
#include "strata/store/group_writer.h"

namespace strata {

class ArrowBatchRows {
 public:
  // Fails when the key or event-time column is missing from `schema`.
  static Result<ArrowBatchRows> Make(const arrow::Schema& schema, const SourceLayout& layout, const std::string& path,
                                     std::vector<std::string>* ignored_columns);

  // Appends one record per row of `batch`; `first_line` is the position of its first row.
  void Convert(const arrow::RecordBatch& batch, int64_t first_line, std::vector<SourceRecord>* out) const;

  // The columnar path: when every row of `batch` is valid and each column converts exactly
  // (the same values Convert gives) without a per-cell step, the rows as columns; otherwise
  // nullopt, and Convert says row by row what is wrong. Numeric columns of the feature's type,
  // or of one that widens to it (or narrows to it without loss), convert; text that needs
  // parsing (CSV, ISO-8601 times) and lists or embeddings do not.
  std::optional<GroupColumns> ConvertColumns(const arrow::RecordBatch& batch) const;

 private:
  SourceLayout layout_;
  int key_column_ = -1;
  int time_column_ = -1;
  std::vector<int> feature_columns_;  // per group feature: its column, or -1 when absent
  bool columnar_ = false;             // the group's features can take the columnar path
};

}  // namespace strata
