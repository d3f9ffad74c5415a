#pragma once
// Where a loader's rows come from, cut into units: the row groups of Parquet files (the
// training-set writer makes them 64Ki rows), or fixed slices of an in-memory Arrow table.
// Units are what the loader shards across ranks and workers and shuffles per epoch.

#include <arrow/type_fwd.h>

#include <memory>
#include <string>
#include <vector>

#include "strata/core/status.h"
#include "strata/loader/epoch_plan.h"

namespace strata::loader {

class UnitSource {
 public:
  virtual ~UnitSource() = default;
  const std::vector<Unit>& units() const { return units_; }
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }
  // Reads the top-level `fields` of unit `u` (sorted, distinct), one array per field.
  // Safe to call from several threads at once.
  virtual Result<std::vector<std::shared_ptr<arrow::Array>>> Read(int u, const std::vector<int>& fields,
                                                                   arrow::MemoryPool* pool) const = 0;

 protected:
  std::vector<Unit> units_;
  std::shared_ptr<arrow::Schema> schema_;
};

// Parquet files with one schema; a directory stands for the *.parquet files in it (sorted).
// Each file's footer is read once.
Result<std::unique_ptr<UnitSource>> OpenParquetUnits(const std::vector<std::string>& paths);

// A table in memory, cut into slices of `unit_rows` rows (no copy).
std::unique_ptr<UnitSource> TableUnits(std::shared_ptr<arrow::Table> table, int64_t unit_rows);

}  // namespace strata::loader
