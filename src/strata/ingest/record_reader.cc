#include "strata/ingest/record_reader.h"

#include <filesystem>

namespace strata {

Result<std::unique_ptr<RecordReader>> OpenRecordReader(const std::string& path, const SourceLayout& layout) {
  namespace fs = std::filesystem;
  if (!fs::exists(path)) return Status::NotFound("input file " + path + " does not exist");
  std::string ext = fs::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".csv") return OpenCsvReader(path, layout);
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return OpenJsonLinesReader(path, layout);
  if (ext == ".parquet" || ext == ".pq") return OpenParquetReader(path, layout);
  return Status::InvalidArgument("input file " + path + ": unknown extension '" + ext +
                                 "'; expected .csv, .jsonl (JSON lines) or .parquet");
}

}  // namespace strata
