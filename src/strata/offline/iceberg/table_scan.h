#pragma once
// Reads the rows of one snapshot of a table, projected by field id onto a schema (so files
// written under older schemas read correctly: added columns are null, promoted types are
// widened, dropped columns are left out), optionally only the rows of some entity keys
// (files whose key bounds exclude them are skipped).

#include <arrow/type_fwd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/status.h"
#include "strata/offline/iceberg/manifest.h"

namespace strata::iceberg {

// The Arrow schema of an Iceberg schema JSON (timestamptz: timestamp[us, UTC]).
Result<std::shared_ptr<arrow::Schema>> ArrowSchemaFromJson(const nlohmann::json& schema);

struct ScanFilter {
  // Entity keys to keep (int64 or string, as the key column); empty: every row.
  std::vector<int64_t> int_keys;
  std::vector<std::string> string_keys;
  bool empty() const { return int_keys.empty() && string_keys.empty(); }
};

class TableScan {
 public:
  static Result<std::unique_ptr<TableScan>> Make(std::vector<ManifestEntry> files, const nlohmann::json& schema,
                                                 ScanFilter filter = {});
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }
  // The next batch, or nullptr at the end.
  Result<std::shared_ptr<arrow::RecordBatch>> Next();
  const std::vector<ManifestEntry>& files() const { return files_; }

 private:
  Status OpenFile(size_t index);

  std::vector<ManifestEntry> files_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<int> field_ids_;
  ScanFilter filter_;
  size_t next_file_ = 0;
  struct Open;
  std::shared_ptr<Open> open_;
};

}  // namespace strata::iceberg
