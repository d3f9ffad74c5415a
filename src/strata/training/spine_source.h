#pragma once
// The spine of a training set: one row per labelled event (entity keys, a timestamp and
// passthrough columns). It is read twice, streaming: once to index its keys and times, once
// to write the output, so it never has to fit in memory.

#include <arrow/type_fwd.h>

#include <map>
#include <memory>
#include <string>

#include "strata/core/definitions.h"
#include "strata/core/status.h"

namespace strata::training {

class SpineSource {
 public:
  // A Parquet, CSV or JSON-lines file, by extension.
  static Result<SpineSource> FromFile(const std::string& path);
  // Batches already in memory (e.g. from Python through the Arrow C stream interface).
  static SpineSource FromTable(std::shared_ptr<arrow::Table> table);

  // A fresh reader over every row in order. `text_types` fixes the types of columns in text
  // formats (CSV, JSON-lines), where they would otherwise be guessed.
  Result<std::shared_ptr<arrow::RecordBatchReader>> Open(
      const std::map<std::string, std::shared_ptr<arrow::DataType>>& text_types) const;
  const std::string& name() const { return name_; }
  // The row count, or an upper estimate for text files (used to size partitions).
  int64_t EstimatedRows() const;

 private:
  enum class Format { kTable, kParquet, kCsv, kJsonLines };
  Format format_ = Format::kTable;
  std::string name_;  // the path, or "the spine table"
  std::shared_ptr<arrow::Table> table_;
};

// The spine's timestamp column as microseconds: timestamp (any unit or zone), integer
// microseconds, or text (ISO-8601 or integer microseconds). A null is an error naming the
// row (`first_row` is the 0-based spine row of element 0).
Result<std::shared_ptr<arrow::Int64Array>> SpineTimes(const std::shared_ptr<arrow::Array>& column,
                                                      const std::string& name, int64_t first_row);

// Checks a spine key column's type against the entity's key type.
Status CheckSpineKeyType(const arrow::DataType& type, const EntityDef& entity);
// The spine key column normalized: int64 for int64 entities, utf8 for string entities.
Result<std::shared_ptr<arrow::Array>> SpineKeys(const std::shared_ptr<arrow::Array>& column, const EntityDef& entity);

}  // namespace strata::training
