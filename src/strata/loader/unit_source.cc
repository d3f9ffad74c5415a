#include "strata/loader/unit_source.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include <algorithm>
#include <filesystem>

#include "strata/core/arrow_status.h"

namespace strata::loader {

namespace {

Result<std::shared_ptr<arrow::Array>> OneChunk(const arrow::ChunkedArray& column, arrow::MemoryPool* pool) {
  if (column.num_chunks() == 1) return column.chunk(0);
  auto combined = arrow::Concatenate(column.chunks(), pool);
  if (!combined.ok()) return FromArrow(combined.status(), "combining column chunks");
  return *combined;
}

class ParquetUnits final : public UnitSource {
 public:
  Status Open(const std::vector<std::string>& paths) {
    for (const auto& p : paths) {
      std::error_code ec;
      if (std::filesystem::is_directory(p, ec)) {
        std::vector<std::string> inside;
        for (const auto& e : std::filesystem::directory_iterator(p, ec))
          if (e.path().extension() == ".parquet") inside.push_back(e.path().string());
        std::sort(inside.begin(), inside.end());
        if (inside.empty()) return Status::InvalidArgument(p + ": a directory with no .parquet files");
        files_.insert(files_.end(), inside.begin(), inside.end());
      } else {
        files_.push_back(p);
      }
    }
    if (files_.empty()) return Status::InvalidArgument("no training-set files given");
    for (size_t f = 0; f < files_.size(); ++f) {
      std::shared_ptr<parquet::FileMetaData> metadata;
      std::shared_ptr<arrow::Schema> schema;
      try {
        auto file = arrow::io::ReadableFile::Open(files_[f]);
        if (!file.ok()) return Status::NotFound(files_[f] + ": cannot open: " + file.status().message());
        auto reader = parquet::ParquetFileReader::Open(*file);
        metadata = reader->metadata();
        auto st = parquet::arrow::FromParquetSchema(metadata->schema(), parquet::ArrowReaderProperties(),
                                                    metadata->key_value_metadata(), &schema);
        if (!st.ok()) return FromArrow(st, files_[f]);
      } catch (const parquet::ParquetException& e) {
        return Status::InvalidArgument(files_[f] + ": not a readable Parquet file: " + e.what());
      }
      if (!schema_) {
        schema_ = schema->RemoveMetadata();
      } else if (!schema_->Equals(*schema, /*check_metadata=*/false)) {
        return Status::InvalidArgument(files_[f] + ": its columns differ from those of " + files_[0] +
                                       " (all files of a training set must share one schema)");
      }
      for (int g = 0; g < metadata->num_row_groups(); ++g)
        units_.push_back({static_cast<int>(f), g, metadata->RowGroup(g)->num_rows()});
      metadata_.push_back(std::move(metadata));
    }
    return Status::OK();
  }

  Result<std::vector<std::shared_ptr<arrow::Array>>> Read(int u, const std::vector<int>& fields,
                                                           arrow::MemoryPool* pool) const override {
    const Unit& unit = units_[static_cast<size_t>(u)];
    const std::string& path = files_[static_cast<size_t>(unit.source)];
    std::shared_ptr<arrow::Table> table;
    try {
      auto file = arrow::io::ReadableFile::Open(path);
      if (!file.ok()) return FromArrow(file.status(), path);
      parquet::arrow::FileReaderBuilder builder;
      auto st = builder.Open(*file, parquet::ReaderProperties(pool), metadata_[static_cast<size_t>(unit.source)]);
      if (!st.ok()) return FromArrow(st, path);
      auto reader = builder.memory_pool(pool)->Build();
      if (!reader.ok()) return FromArrow(reader.status(), path);
      auto leaves = (*reader)->manifest().GetFieldIndices(fields);
      if (!leaves.ok()) return FromArrow(leaves.status(), path);
      auto read = (*reader)->ReadRowGroup(unit.row_group, *leaves);
      if (!read.ok()) return FromArrow(read.status(), path + " row group " + std::to_string(unit.row_group));
      table = *read;
    } catch (const parquet::ParquetException& e) {
      return Status::Corruption(path + " row group " + std::to_string(unit.row_group) + ": " + e.what());
    }
    std::vector<std::shared_ptr<arrow::Array>> out;
    for (int c = 0; c < table->num_columns(); ++c) {
      STRATA_ASSIGN_OR_RETURN(auto a, OneChunk(*table->column(c), pool));
      out.push_back(std::move(a));
    }
    return out;
  }

 private:
  std::vector<std::string> files_;
  std::vector<std::shared_ptr<parquet::FileMetaData>> metadata_;
};

class TableSlices final : public UnitSource {
 public:
  TableSlices(std::shared_ptr<arrow::Table> table, int64_t unit_rows) : table_(std::move(table)), unit_rows_(unit_rows) {
    schema_ = table_->schema()->RemoveMetadata();
    for (int64_t start = 0, i = 0; start < table_->num_rows(); start += unit_rows_, ++i)
      units_.push_back({0, static_cast<int>(i), std::min(unit_rows_, table_->num_rows() - start)});
  }

  Result<std::vector<std::shared_ptr<arrow::Array>>> Read(int u, const std::vector<int>& fields,
                                                           arrow::MemoryPool* pool) const override {
    const int64_t start = static_cast<int64_t>(u) * unit_rows_;
    const int64_t rows = units_[static_cast<size_t>(u)].rows;
    std::vector<std::shared_ptr<arrow::Array>> out;
    for (int f : fields) {
      STRATA_ASSIGN_OR_RETURN(auto a, OneChunk(*table_->column(f)->Slice(start, rows), pool));
      out.push_back(std::move(a));
    }
    return out;
  }

 private:
  std::shared_ptr<arrow::Table> table_;
  int64_t unit_rows_;
};

}  // namespace

Result<std::unique_ptr<UnitSource>> OpenParquetUnits(const std::vector<std::string>& paths) {
  auto source = std::make_unique<ParquetUnits>();
  STRATA_RETURN_NOT_OK(source->Open(paths));
  return std::unique_ptr<UnitSource>(std::move(source));
}

std::unique_ptr<UnitSource> TableUnits(std::shared_ptr<arrow::Table> table, int64_t unit_rows) {
  return std::make_unique<TableSlices>(std::move(table), std::max<int64_t>(1, unit_rows));
}

}  // namespace strata::loader
