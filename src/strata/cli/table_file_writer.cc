#include "strata/cli/table_file_writer.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/record_batch.h>
#include <parquet/arrow/writer.h>

#include <filesystem>
#include <fstream>

#include "strata/core/arrow_json.h"
#include "strata/core/parquet_vectors.h"

namespace strata::cli {

namespace {

class ParquetFileWriter final : public TableFileWriter {
 public:
  Status Open(const std::string& path, const std::shared_ptr<arrow::Schema>& batch_schema, const TableFileOptions& options) {
    // Embeddings as lists carrying their dimension: see parquet_vectors.h.
    schema_ = ParquetVectorSchema(batch_schema);
    converts_ = schema_ != batch_schema;
    const auto& schema = schema_;
    auto sink = arrow::io::FileOutputStream::Open(path);
    if (!sink.ok()) return Status::IOError("cannot create " + path + ": " + sink.status().ToString());
    sink_ = *sink;
    // Dictionaries only for text: numbers rarely repeat enough to pay for the hashing.
    parquet::WriterProperties::Builder builder;
    builder.compression(parquet::Compression::ZSTD)->max_row_group_length(options.parquet_row_group_rows)->disable_dictionary();
    for (const auto& field : schema->fields()) {
      const auto id = field->type()->id();
      if (id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING || id == arrow::Type::BINARY) {
        builder.enable_dictionary(field->name());
      }
    }
    auto props = builder.build();
    // Columns are encoded and compressed in parallel. The Arrow schema goes in the footer, so
    // that readers get the exact types back, and the embeddings' dimensions.
    auto arrow_props = parquet::ArrowWriterProperties::Builder().set_use_threads(true)->store_schema()->build();
    auto w = parquet::arrow::FileWriter::Open(*schema, arrow::default_memory_pool(), sink_, props, arrow_props);
    if (!w.ok()) return Status::IOError("cannot write " + path + ": " + w.status().ToString());
    writer_ = std::move(*w);
    path_ = path;
    return Status::OK();
  }
  Status Write(const arrow::RecordBatch& batch) override {
    std::shared_ptr<arrow::RecordBatch> converted;
    if (converts_) {
      STRATA_ASSIGN_OR_RETURN(converted, ToParquetVectorBatch(batch, schema_));
    }
    auto st = writer_->WriteRecordBatch(converted ? *converted : batch);
    return st.ok() ? Status::OK() : Status::IOError("writing " + path_ + ": " + st.ToString());
  }
  Status Close() override {
    auto st = writer_->Close();
    if (st.ok()) st = sink_->Close();
    return st.ok() ? Status::OK() : Status::IOError("closing " + path_ + ": " + st.ToString());
  }

 private:
  std::string path_;
  std::shared_ptr<arrow::Schema> schema_;
  bool converts_ = false;
  std::shared_ptr<arrow::io::FileOutputStream> sink_;
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
};

class TextFileWriter final : public TableFileWriter {
 public:
  Status Open(const std::string& path, const std::shared_ptr<arrow::Schema>& schema, bool csv) {
    out_.open(path, std::ios::binary | std::ios::trunc);
    if (!out_) return Status::IOError("cannot create " + path);
    path_ = path;
    csv_ = csv;
    schema_ = schema;
    if (csv_) {
      std::string header;
      for (int c = 0; c < schema->num_fields(); ++c) header += (c ? "," : "") + CsvField(schema->field(c)->name());
      out_ << header << "\n";
    }
    return Status::OK();
  }
  Status Write(const arrow::RecordBatch& batch) override {
    std::string line;
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      line.clear();
      if (!csv_) line += "{";
      for (int c = 0; c < batch.num_columns(); ++c) {
        const auto& a = *batch.column(c);
        if (csv_) {
          if (c) line += ",";
          if (!a.IsNull(r)) line += CsvField(TextCell(a, r));
        } else {
          if (c) line += ", ";
          line += JsonString(schema_->field(c)->name()) + ": ";
          AppendJsonCell(a, r, &line);
        }
      }
      line += csv_ ? "\n" : "}\n";
      out_ << line;
    }
    return out_ ? Status::OK() : Status::IOError("writing " + path_);
  }
  Status Close() override {
    out_.close();
    return out_ ? Status::OK() : Status::IOError("closing " + path_);
  }

 private:
  static std::string CsvField(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos && !s.empty()) return s;
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  }

  std::ofstream out_;
  std::string path_;
  bool csv_ = false;
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace

Result<std::unique_ptr<TableFileWriter>> OpenTableFileWriter(const std::string& path,
                                                             const std::shared_ptr<arrow::Schema>& schema,
                                                             const TableFileOptions& options) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".parquet") {
    auto w = std::make_unique<ParquetFileWriter>();
    STRATA_RETURN_NOT_OK(w->Open(path, schema, options));
    return std::unique_ptr<TableFileWriter>(std::move(w));
  }
  if (ext == ".csv" || ext == ".jsonl" || ext == ".json") {
    auto w = std::make_unique<TextFileWriter>();
    STRATA_RETURN_NOT_OK(w->Open(path, schema, ext == ".csv"));
    return std::unique_ptr<TableFileWriter>(std::move(w));
  }
  return Status::InvalidArgument("output file " + path + " has unknown extension '" + ext +
                                 "'; use .parquet, .csv or .jsonl");
}

}  // namespace strata::cli
