#pragma once
// Reads source files (CSV, JSON-lines, Parquet, chosen by extension) as validated feature
// rows of one group. A bad row is returned as a rejected record with its position and the
// reason; only a file that cannot be read at all is an error.

#include <arrow/type_fwd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/store/feature_repository.h"
#include "strata/store/group_writer.h"

namespace strata {

struct SourceRecord {
  int64_t line = 0;       // 1-based line in the file (CSV: counting the header), or row number (Parquet)
  bool ok = false;
  FeatureRow row;         // when ok
  std::string reason;     // when rejected
  std::string raw_json;   // when rejected: the source row as a JSON object
};

// What one read returns: records, or (from typed columnar sources, when every row of a chunk
// is valid) the chunk's rows as columns, which skip the per-row conversion.
struct SourceChunk {
  std::vector<SourceRecord> records;
  std::optional<GroupColumns> columns;
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // Appends up to `max_records` records to `out`; returns how many (0 at the end of the file).
  virtual Result<size_t> Read(size_t max_records, std::vector<SourceRecord>* out) = 0;
  // Reads the next chunk into `chunk` (cleared first); returns how many source records it holds
  // (0 at the end). Readers of Arrow sources return columns where they can; others records.
  virtual Result<size_t> ReadChunk(size_t max_records, SourceChunk* chunk) {
    chunk->records.clear();
    chunk->columns.reset();
    return Read(max_records, &chunk->records);
  }
  // Source columns that match nothing in the group (reported, not an error).
  const std::vector<std::string>& ignored_columns() const { return ignored_columns_; }

 protected:
  std::vector<std::string> ignored_columns_;
};

// The columns a source row is read into.
struct SourceLayout {
  const FeatureGroupDef* group = nullptr;
  const EntityDef* entity = nullptr;
};

Result<std::unique_ptr<RecordReader>> OpenRecordReader(const std::string& path, const SourceLayout& layout);

// An Arrow record batch stream (a table handed over in memory); `name` stands for the source
// in messages; `owner` is kept alive as long as the reader (what `batches` reads from).
Result<std::unique_ptr<RecordReader>> OpenArrowStreamReader(std::shared_ptr<arrow::RecordBatchReader> batches,
                                                            const SourceLayout& layout, const std::string& name,
                                                            std::shared_ptr<void> owner = nullptr);

// Internal constructors, one per format.
Result<std::unique_ptr<RecordReader>> OpenCsvReader(const std::string& path, const SourceLayout& layout);
Result<std::unique_ptr<RecordReader>> OpenJsonLinesReader(const std::string& path, const SourceLayout& layout);
Result<std::unique_ptr<RecordReader>> OpenParquetReader(const std::string& path, const SourceLayout& layout);

}  // namespace strata
