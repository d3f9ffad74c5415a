#pragma once
// Builds record batches of a group's offline table (key, event time, write_seq, features)
// from rows of typed values.

#include <arrow/type_fwd.h>

#include <arrow/table_builder.h>

#include <memory>
#include <span>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/core/value.h"

namespace strata {

class RowBatchBuilder {
 public:
  RowBatchBuilder(const EntityDef& entity, const FeatureGroupDef& group);
  ~RowBatchBuilder();

  // `features` aligned with the group's features; a value of the wrong type is stored as null
  // (ingestion validated it already).
  void Append(const Value& key, int64_t event_time, int64_t write_seq, std::span<const Value> features);
  int64_t rows() const { return rows_; }
  // The rows appended since the last Finish, as one batch; the builder is then empty.
  Result<std::shared_ptr<arrow::RecordBatch>> Finish();
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

 private:
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<DataType> types_;
  std::unique_ptr<arrow::RecordBatchBuilder> builder_;
  int64_t rows_ = 0;
};

}  // namespace strata
