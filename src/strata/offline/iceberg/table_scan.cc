#include "strata/offline/iceberg/table_scan.h"

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <arrow/record_batch.h>
#include <arrow/util/key_value_metadata.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>

#include <cstring>
#include <unordered_set>

#include "strata/core/file_io.h"
#include "strata/offline/iceberg/table_schema.h"

namespace strata::iceberg {

namespace {

using nlohmann::json;

Result<std::shared_ptr<arrow::DataType>> PrimitiveType(const std::string& t) {
  if (t == "boolean") return arrow::boolean();
  if (t == "int") return arrow::int32();
  if (t == "long") return arrow::int64();
  if (t == "float") return arrow::float32();
  if (t == "double") return arrow::float64();
  if (t == "string") return arrow::utf8();
  if (t == "binary") return arrow::binary();
  if (t == "timestamptz") return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  if (t == "timestamp") return arrow::timestamp(arrow::TimeUnit::MICRO);
  if (t == "date") return arrow::date32();
  return Status::InvalidArgument("Iceberg type " + t + " is not one Strata reads");
}

int FieldIdOf(const arrow::Field& f) {
  if (!f.metadata()) return -1;
  auto v = f.metadata()->Get("PARQUET:field_id");
  if (!v.ok()) return -1;
  try {
    return std::stoi(*v);
  } catch (...) {
    return -1;
  }
}

bool KeyMayMatch(const DataFile& f, const ScanFilter& filter) {
  auto lo = f.lower_bounds.find(kKeyFieldId), hi = f.upper_bounds.find(kKeyFieldId);
  if (lo == f.lower_bounds.end() || hi == f.upper_bounds.end()) return true;
  if (!filter.int_keys.empty()) {
    if (lo->second.size() != 8 || hi->second.size() != 8) return true;
    int64_t l, h;
    std::memcpy(&l, lo->second.data(), 8);
    std::memcpy(&h, hi->second.data(), 8);
    for (int64_t k : filter.int_keys)
      if (k >= l && k <= h) return true;
    return false;
  }
  for (const auto& k : filter.string_keys)
    if (k >= lo->second && k <= hi->second) return true;
  return false;
}

}  // namespace

Result<std::shared_ptr<arrow::Schema>> ArrowSchemaFromJson(const json& schema) {
  arrow::FieldVector fields;
  if (!schema.contains("fields")) return Status::Corruption("Iceberg schema without fields");
  for (const auto& f : schema["fields"]) {
    const int id = f.value("id", -1);
    std::shared_ptr<arrow::DataType> type;
    const json& t = f["type"];
    if (t.is_string()) {
      STRATA_ASSIGN_OR_RETURN(type, PrimitiveType(t.get<std::string>()));
    } else if (t.is_object() && t.value("type", "") == "list" && t["element"].is_string()) {
      STRATA_ASSIGN_OR_RETURN(auto element, PrimitiveType(t["element"].get<std::string>()));
      type = arrow::list(arrow::field("element", element, !t.value("element-required", false),
                                      arrow::key_value_metadata({"PARQUET:field_id"},
                                                                {std::to_string(t.value("element-id", -1))})));
    } else {
      return Status::InvalidArgument("Iceberg field " + f.value("name", "") + " has a type Strata does not read");
    }
    fields.push_back(arrow::field(f.value("name", ""), type, !f.value("required", false),
                                  arrow::key_value_metadata({"PARQUET:field_id"}, {std::to_string(id)})));
  }
  return arrow::schema(std::move(fields));
}

struct TableScan::Open {
  std::string path;
  std::unique_ptr<parquet::arrow::FileReader> reader;
  std::vector<int> columns;   // file column per output field, -1 when absent
  std::vector<int> leaf_columns;
  int row_group = 0;
};

Result<std::unique_ptr<TableScan>> TableScan::Make(std::vector<ManifestEntry> files, const json& schema,
                                                   ScanFilter filter) {
  std::unique_ptr<TableScan> scan(new TableScan());
  STRATA_ASSIGN_OR_RETURN(scan->schema_, ArrowSchemaFromJson(schema));
  for (const auto& f : scan->schema_->fields()) scan->field_ids_.push_back(FieldIdOf(*f));
  scan->filter_ = std::move(filter);
  for (auto& e : files)
    if (scan->filter_.empty() || KeyMayMatch(e.file, scan->filter_)) scan->files_.push_back(std::move(e));
  return scan;
}

Status TableScan::OpenFile(size_t index) {
  auto o = std::make_shared<Open>();
  o->path = PathFromUri(files_[index].file.path);
  auto input = arrow::io::ReadableFile::Open(o->path);
  if (!input.ok()) return Status::IOError("cannot open data file " + o->path + ": " + input.status().ToString());
  // A damaged footer can make Parquet throw (even bad_alloc, for a nonsense length).
  try {
    auto reader = parquet::arrow::OpenFile(*input, arrow::default_memory_pool());
    if (!reader.ok())
      return Status::Corruption("data file " + o->path + " is not a readable Parquet file: " + reader.status().ToString());
    o->reader = std::move(*reader);
  } catch (const std::exception& e) {
    return Status::Corruption("data file " + o->path + " is not a readable Parquet file: " + e.what());
  }
  std::shared_ptr<arrow::Schema> file_schema;
  auto st = o->reader->GetSchema(&file_schema);
  if (!st.ok()) return Status::Corruption("data file " + o->path + ": " + st.ToString());
  std::map<int, int> by_id;
  for (int i = 0; i < file_schema->num_fields(); ++i) by_id[FieldIdOf(*file_schema->field(i))] = i;
  for (int id : field_ids_) {
    auto it = by_id.find(id);
    o->columns.push_back(it == by_id.end() ? -1 : it->second);
  }
  std::vector<int> top_level;
  for (int c : o->columns)
    if (c >= 0) top_level.push_back(c);
  auto leaves = o->reader->manifest().GetFieldIndices(top_level);
  if (!leaves.ok()) return Status::Corruption("data file " + o->path + ": " + leaves.status().ToString());
  o->leaf_columns = *leaves;
  std::sort(o->leaf_columns.begin(), o->leaf_columns.end());
  open_ = std::move(o);
  return Status::OK();
}

Result<std::shared_ptr<arrow::RecordBatch>> TableScan::Next() {
  while (true) {
    if (!open_ || open_->row_group >= open_->reader->num_row_groups()) {
      if (next_file_ >= files_.size()) return std::shared_ptr<arrow::RecordBatch>();
      STRATA_RETURN_NOT_OK(OpenFile(next_file_++));
      continue;
    }
    Open& o = *open_;
    std::shared_ptr<arrow::Table> table;
    arrow::Status st;
    try {
      st = o.reader->ReadRowGroup(o.row_group++, o.leaf_columns, &table);
    } catch (const std::exception& e) {
      st = arrow::Status::IOError(e.what());
    }
    if (!st.ok()) return Status::Corruption("data file " + o.path + " is corrupt or truncated: " + st.ToString());
    auto combined = table->CombineChunksToBatch();
    if (!combined.ok()) return Status::Internal(combined.status().ToString());
    std::shared_ptr<arrow::RecordBatch> batch = *combined;
    // The file's columns in `table` follow the file's order; map them to output fields by id.
    std::map<int, std::shared_ptr<arrow::Array>> by_id;
    for (int i = 0; i < batch->num_columns(); ++i) by_id[FieldIdOf(*batch->schema()->field(i))] = batch->column(i);
    const int64_t n = batch->num_rows();
    arrow::ArrayVector columns;
    for (int i = 0; i < schema_->num_fields(); ++i) {
      const auto& target = schema_->field(i)->type();
      auto it = by_id.find(field_ids_[static_cast<size_t>(i)]);
      if (it == by_id.end()) {
        auto nulls = arrow::MakeArrayOfNull(target, n);
        if (!nulls.ok()) return Status::Internal(nulls.status().ToString());
        columns.push_back(*nulls);
      } else if (!it->second->type()->Equals(*target, false)) {  // promoted (int->long, float->double)
        auto cast = arrow::compute::Cast(*it->second, target);
        if (!cast.ok()) return Status::Corruption("data file " + o.path + ": cannot read column " +
                                                  schema_->field(i)->name() + " as " + target->ToString());
        columns.push_back(*cast);
      } else {
        columns.push_back(it->second);
      }
    }
    auto out = arrow::RecordBatch::Make(schema_, n, std::move(columns));
    if (filter_.empty()) return out;
    arrow::BooleanBuilder mask;
    (void)mask.Reserve(n);
    const auto& key = *out->column(0);
    if (!filter_.int_keys.empty()) {
      std::unordered_set<int64_t> keys(filter_.int_keys.begin(), filter_.int_keys.end());
      const auto& k = static_cast<const arrow::Int64Array&>(key);
      for (int64_t r = 0; r < n; ++r) mask.UnsafeAppend(keys.count(k.Value(r)) > 0);
    } else {
      std::unordered_set<std::string> keys(filter_.string_keys.begin(), filter_.string_keys.end());
      const auto& k = static_cast<const arrow::StringArray&>(key);
      for (int64_t r = 0; r < n; ++r) mask.UnsafeAppend(keys.count(std::string(k.GetView(r))) > 0);
    }
    std::shared_ptr<arrow::Array> m;
    (void)mask.Finish(&m);
    auto filtered = arrow::compute::Filter(out, m);
    if (!filtered.ok()) return Status::Internal(filtered.status().ToString());
    auto fb = filtered->record_batch();
    if (fb->num_rows() > 0) return fb;
  }
}

}  // namespace strata::iceberg
