#include "strata/core/arrow_status.h"
#include "strata/training/spine_source.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/csv/api.h>
#include <arrow/io/file.h>
#include <arrow/json/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/exception.h>

#include <filesystem>

#include "strata/core/time.h"

namespace strata::training {

namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsIntegerType(const arrow::DataType& t) {
  return arrow::is_integer(t.id());
}
bool IsStringType(const arrow::DataType& t) {
  return t.id() == arrow::Type::STRING || t.id() == arrow::Type::LARGE_STRING ||
         t.id() == arrow::Type::STRING_VIEW ||
         (t.id() == arrow::Type::DICTIONARY &&
          IsStringType(*static_cast<const arrow::DictionaryType&>(t).value_type()));
}

Result<std::shared_ptr<arrow::Array>> CastTo(const std::shared_ptr<arrow::Array>& a,
                                             const std::shared_ptr<arrow::DataType>& to, const std::string& what) {
  if (a->type()->Equals(*to)) return a;
  auto r = arrow::compute::Cast(*a, to);
  if (!r.ok()) return Status::InvalidArgument(what + ": " + r.status().ToString());
  return *r;
}

}  // namespace

Result<SpineSource> SpineSource::FromFile(const std::string& path) {
  SpineSource s;
  s.name_ = path;
  if (EndsWith(path, ".parquet") || EndsWith(path, ".pq")) {
    s.format_ = Format::kParquet;
  } else if (EndsWith(path, ".csv")) {
    s.format_ = Format::kCsv;
  } else if (EndsWith(path, ".jsonl") || EndsWith(path, ".ndjson") || EndsWith(path, ".json")) {
    s.format_ = Format::kJsonLines;
  } else {
    return Status::InvalidArgument("spine " + path + ": unknown format; use .parquet, .csv or .jsonl");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return Status::NotFound("spine file " + path + " does not exist");
  return s;
}

SpineSource SpineSource::FromTable(std::shared_ptr<arrow::Table> table) {
  SpineSource s;
  s.format_ = Format::kTable;
  s.name_ = "the spine table";
  s.table_ = std::move(table);
  return s;
}

Result<std::shared_ptr<arrow::RecordBatchReader>> SpineSource::Open(
    const std::map<std::string, std::shared_ptr<arrow::DataType>>& text_types) const {
  const std::string what = "reading spine " + name_;
  switch (format_) {
    case Format::kTable: {
      auto reader = std::make_shared<arrow::TableBatchReader>(table_);
      reader->set_chunksize(64 * 1024);
      return std::shared_ptr<arrow::RecordBatchReader>(reader);
    }
    case Format::kParquet: {
      try {
        auto file = arrow::io::ReadableFile::Open(name_);
        if (!file.ok()) return FromArrow(file.status(), what);
        parquet::ArrowReaderProperties props;
        props.set_batch_size(64 * 1024);
        parquet::arrow::FileReaderBuilder builder;
        if (auto st = builder.Open(*file); !st.ok()) return FromArrow(st, what);
        builder.properties(props);
        auto reader = builder.Build();
        if (!reader.ok()) return FromArrow(reader.status(), what);
        auto batches = (*reader)->GetRecordBatchReader();
        if (!batches.ok()) return FromArrow(batches.status(), what);
        // The FileReader must outlive its batch reader.
        struct Owning final : arrow::RecordBatchReader {
          std::unique_ptr<parquet::arrow::FileReader> file;
          std::shared_ptr<arrow::RecordBatchReader> inner;
          std::shared_ptr<arrow::Schema> schema() const override { return inner->schema(); }
          arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override { return inner->ReadNext(batch); }
        };
        auto owning = std::make_shared<Owning>();
        owning->inner = std::shared_ptr<arrow::RecordBatchReader>(std::move(*batches));
        owning->file = std::move(*reader);
        return std::shared_ptr<arrow::RecordBatchReader>(owning);
      } catch (const parquet::ParquetException& e) {
        return Status::IOError(what + ": " + e.what());
      }
    }
    case Format::kCsv: {
      auto file = arrow::io::ReadableFile::Open(name_);
      if (!file.ok()) return FromArrow(file.status(), what);
      auto read = arrow::csv::ReadOptions::Defaults();
      read.block_size = 8 << 20;
      auto convert = arrow::csv::ConvertOptions::Defaults();
      convert.null_values = {""};  // rule 6: an empty field is null
      convert.strings_can_be_null = true;
      for (const auto& [name, type] : text_types) convert.column_types[name] = type;
      auto reader = arrow::csv::StreamingReader::Make(arrow::io::default_io_context(), *file, read,
                                                      arrow::csv::ParseOptions::Defaults(), convert);
      if (!reader.ok()) return FromArrow(reader.status(), what);
      return std::shared_ptr<arrow::RecordBatchReader>(*reader);
    }
    case Format::kJsonLines: {
      auto file = arrow::io::ReadableFile::Open(name_);
      if (!file.ok()) return FromArrow(file.status(), what);
      auto read = arrow::json::ReadOptions::Defaults();
      read.block_size = 8 << 20;
      auto parse = arrow::json::ParseOptions::Defaults();
      arrow::FieldVector fields;
      for (const auto& [name, type] : text_types) fields.push_back(arrow::field(name, type));
      parse.explicit_schema = arrow::schema(fields);
      parse.unexpected_field_behavior = arrow::json::UnexpectedFieldBehavior::InferType;
      auto reader = arrow::json::StreamingReader::Make(*file, read, parse);
      if (!reader.ok()) return FromArrow(reader.status(), what);
      return std::shared_ptr<arrow::RecordBatchReader>(*reader);
    }
  }
  return Status::Internal("unknown spine format");
}

int64_t SpineSource::EstimatedRows() const {
  switch (format_) {
    case Format::kTable: return table_->num_rows();
    case Format::kParquet:
      try {
        auto file = arrow::io::ReadableFile::Open(name_);
        if (!file.ok()) return 0;
        return parquet::ParquetFileReader::Open(*file)->metadata()->num_rows();
      } catch (const parquet::ParquetException&) {
        return 0;
      }
    default: {
      std::error_code ec;
      const auto size = std::filesystem::file_size(name_, ec);
      return ec ? 0 : static_cast<int64_t>(size / 16);  // no row of a usable spine is shorter
    }
  }
}

Result<std::shared_ptr<arrow::Int64Array>> SpineTimes(const std::shared_ptr<arrow::Array>& column,
                                                      const std::string& name, int64_t first_row) {
  const arrow::DataType& type = *column->type();
  std::shared_ptr<arrow::Array> micros;
  if (column->null_count() > 0) {
    for (int64_t i = 0; i < column->length(); ++i)
      if (column->IsNull(i))
        return Status::InvalidArgument("spine timestamp column '" + name + "' is null at row " +
                                       std::to_string(first_row + i + 1) + "; every spine row needs a time");
  }
  if (type.id() == arrow::Type::TIMESTAMP) {
    auto r = arrow::compute::Cast(*column, arrow::timestamp(arrow::TimeUnit::MICRO),
                                  arrow::compute::CastOptions::Unsafe(arrow::timestamp(arrow::TimeUnit::MICRO)));
    if (!r.ok()) return Status::InvalidArgument("spine column '" + name + "': " + r.status().ToString());
    auto data = (*r)->data()->Copy();
    data->type = arrow::int64();
    micros = arrow::MakeArray(data);
  } else if (type.id() == arrow::Type::DATE32 || type.id() == arrow::Type::DATE64) {
    auto r = arrow::compute::Cast(*column, arrow::timestamp(arrow::TimeUnit::MICRO));
    if (!r.ok()) return Status::InvalidArgument("spine column '" + name + "': " + r.status().ToString());
    auto data = (*r)->data()->Copy();
    data->type = arrow::int64();
    micros = arrow::MakeArray(data);
  } else if (IsIntegerType(type)) {
    STRATA_ASSIGN_OR_RETURN(micros, CastTo(column, arrow::int64(), "spine column '" + name + "'"));
  } else if (IsStringType(type)) {
    STRATA_ASSIGN_OR_RETURN(auto text, CastTo(column, arrow::utf8(), "spine column '" + name + "'"));
    const auto& s = static_cast<const arrow::StringArray&>(*text);
    arrow::Int64Builder b;
    if (auto st = b.Reserve(s.length()); !st.ok()) return Status::IOError(st.ToString());
    for (int64_t i = 0; i < s.length(); ++i) {
      auto t = ParseTimestamp(s.GetView(i));
      if (!t.ok())
        return Status::InvalidArgument("spine timestamp column '" + name + "', row " + std::to_string(first_row + i + 1) +
                                       ": " + t.status().message());
      b.UnsafeAppend(*t);
    }
    std::shared_ptr<arrow::Array> out;
    if (auto st = b.Finish(&out); !st.ok()) return Status::IOError(st.ToString());
    micros = out;
  } else {
    return Status::InvalidArgument("spine timestamp column '" + name + "' has type " + type.ToString() +
                                   "; expected a timestamp, integer microseconds or ISO-8601 text");
  }
  return std::static_pointer_cast<arrow::Int64Array>(micros);
}

Status CheckSpineKeyType(const arrow::DataType& type, const EntityDef& entity) {
  // Floats are accepted for integer keys (pandas makes an int column with nulls float64);
  // a value with a fraction is refused when the column is converted.
  const bool ok = entity.key_type == KeyType::kInt64 ? IsIntegerType(type) || arrow::is_floating(type.id())
                                                     : IsStringType(type);
  if (ok || type.id() == arrow::Type::NA) return Status::OK();
  return Status::InvalidArgument("spine key column '" + entity.key + "' has type " + type.ToString() + "; entity " +
                                 entity.name + " has " + KeyTypeName(entity.key_type) + " keys");
}

Result<std::shared_ptr<arrow::Array>> SpineKeys(const std::shared_ptr<arrow::Array>& column, const EntityDef& entity) {
  STRATA_RETURN_NOT_OK(CheckSpineKeyType(*column->type(), entity));
  const auto to = entity.key_type == KeyType::kInt64 ? arrow::int64() : arrow::utf8();
  return CastTo(column, to, "spine key column '" + entity.key + "'");
}

}  // namespace strata::training
