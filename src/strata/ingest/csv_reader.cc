// CSV sources, read with Arrow's streaming CSV reader with every column as text, so that
// each value is validated (and a bad one rejected) by Strata rather than by type inference.

#include <arrow/api.h>
#include <arrow/csv/api.h>
#include <arrow/io/api.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "strata/ingest/arrow_batch_rows.h"
#include "strata/ingest/record_reader.h"

namespace strata {

namespace {

// The column names of the header line (quotes removed).
std::vector<std::string> ParseHeader(const std::string& line) {
  std::vector<std::string> names;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      names.push_back(std::move(cur));
      cur.clear();
    } else if (c != '\r') {
      cur.push_back(c);
    }
  }
  names.push_back(std::move(cur));
  return names;
}

class CsvReader final : public RecordReader {
 public:
  Status Open(const std::string& path, const SourceLayout& layout) {
    std::ifstream in(path);
    std::string header;
    if (!in || !std::getline(in, header)) return Status::InvalidArgument(path + ": empty CSV file (expected a header line)");
    if (header.starts_with("\xEF\xBB\xBF")) header.erase(0, 3);  // a UTF-8 byte-order mark, as Arrow skips it
    auto file = arrow::io::ReadableFile::Open(path);
    if (!file.ok()) return Status::IOError(path + ": " + file.status().ToString());
    auto read = arrow::csv::ReadOptions::Defaults();
    read.block_size = 4 << 20;
    read.use_threads = false;  // serial parsing reports the line number of invalid rows
    auto parse = arrow::csv::ParseOptions::Defaults();
    parse.newlines_in_values = true;
    // A row with the wrong number of fields is rejected like any bad row, not fatal to the file.
    parse.invalid_row_handler = [this](const arrow::csv::InvalidRow& row) {
      std::lock_guard lock(invalid_mu_);
      invalid_.push_back({row.number, row.expected_columns, row.actual_columns, std::string(row.text)});
      return arrow::csv::InvalidRowResult::Skip;
    };
    auto convert = arrow::csv::ConvertOptions::Defaults();
    convert.null_values = {""};
    convert.strings_can_be_null = true;
    convert.quoted_strings_can_be_null = true;
    for (const auto& name : ParseHeader(header)) convert.column_types[name] = arrow::utf8();
    auto reader = arrow::csv::StreamingReader::Make(arrow::io::default_io_context(), *file, read, parse, convert);
    if (!reader.ok()) return Status::InvalidArgument(path + ": " + reader.status().ToString());
    reader_ = *reader;
    path_ = path;
    STRATA_ASSIGN_OR_RETURN(auto rows, ArrowBatchRows::Make(*reader_->schema(), layout, path, &ignored_columns_));
    rows_.emplace(std::move(rows));
    return Status::OK();
  }

  Result<size_t> Read(size_t max_records, std::vector<SourceRecord>* out) override {
    // Arrow decides the batch size; `max_records` is a hint.
    std::shared_ptr<arrow::RecordBatch> batch;
    do {
      arrow::Status st = reader_->ReadNext(&batch);
      if (!st.ok()) return Status::InvalidArgument(path_ + " near line " + std::to_string(next_line_) + ": " + st.ToString());
    } while (batch && batch->num_rows() == 0 && invalid_.empty());
    std::vector<InvalidCsvRow> invalid;
    {
      std::lock_guard lock(invalid_mu_);
      invalid.swap(invalid_);
    }
    for (const auto& r : invalid) {
      SourceRecord rec;
      rec.line = r.number;
      rec.reason = "expected " + std::to_string(r.expected) + " fields, got " + std::to_string(r.actual);
      rec.raw_json = nlohmann::json({{"text", r.text}}).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      out->push_back(std::move(rec));
      if (r.number > 0) skipped_lines_.insert(r.number);
    }
    if (!batch) return invalid.size();  // 0 at the end of the file
    const size_t first = out->size();
    rows_->Convert(*batch, 0, out);
    // Lines of the valid rows: consecutive, but for the rows Arrow skipped as invalid.
    for (size_t i = first; i < out->size(); ++i) {
      while (skipped_lines_.count(next_line_)) skipped_lines_.erase(next_line_++);
      (*out)[i].line = next_line_++;
    }
    return static_cast<size_t>(batch->num_rows()) + invalid.size();
  }

 private:
  struct InvalidCsvRow {
    int64_t number;
    int32_t expected, actual;
    std::string text;
  };
  std::mutex invalid_mu_;
  std::vector<InvalidCsvRow> invalid_;  // filled by Arrow's callback, drained by Read
  std::set<int64_t> skipped_lines_;
  std::shared_ptr<arrow::csv::StreamingReader> reader_;
  std::optional<ArrowBatchRows> rows_;
  std::string path_;
  int64_t next_line_ = 2;  // line 1 is the header
};

}  // namespace

Result<std::unique_ptr<RecordReader>> OpenCsvReader(const std::string& path, const SourceLayout& layout) {
  auto reader = std::make_unique<CsvReader>();
  STRATA_RETURN_NOT_OK(reader->Open(path, layout));
  return std::unique_ptr<RecordReader>(std::move(reader));
}

}  // namespace strata
