#include "strata/ingest/arrow_batch_rows.h"

#include <arrow/api.h>
#include <arrow/compute/cast.h>

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "strata/core/arrow_types.h"
#include "strata/core/column_row_encoder.h"
#include "strata/ingest/value_conversion.h"

namespace strata {

namespace {

bool IsInteger(arrow::Type::type t) {
  switch (t) {
    case arrow::Type::INT8: case arrow::Type::INT16: case arrow::Type::INT32: case arrow::Type::INT64:
    case arrow::Type::UINT8: case arrow::Type::UINT16: case arrow::Type::UINT32: case arrow::Type::UINT64: return true;
    default: return false;
  }
}

// `a` cast to `type` by Arrow, refusing any cast that would lose or change a value (integer
// overflow, an integer a float cannot hold exactly, a time out of range); null when refused.
std::shared_ptr<arrow::Array> ExactCast(const std::shared_ptr<arrow::Array>& a, const std::shared_ptr<arrow::DataType>& type,
                                        bool allow_time_truncate = false) {
  if (a->type()->Equals(*type)) return a;
  auto options = arrow::compute::CastOptions::Safe(type);
  options.allow_time_truncate = allow_time_truncate;
  auto cast = arrow::compute::Cast(*a, type, options);
  return cast.ok() ? *cast : nullptr;
}

// A time column (event time, or a timestamp feature) as timestamp[us, UTC] the way
// TimestampCell reads each cell; null when a cell needs more than a cast (text, dates,
// negative nanoseconds, which floor).
std::shared_ptr<arrow::Array> TimeColumn(const std::shared_ptr<arrow::Array>& a) {
  const auto& target = ArrowTypeOf(DataType::Of(TypeId::kTimestamp));
  if (a->type_id() == arrow::Type::TIMESTAMP) {
    const auto& t = static_cast<const arrow::TimestampType&>(*a->type());
    if (t.unit() == arrow::TimeUnit::NANO) {
      const auto& ts = static_cast<const arrow::TimestampArray&>(*a);
      for (int64_t i = 0; i < ts.length(); ++i)
        if (ts.IsValid(i) && ts.Value(i) < 0) return nullptr;  // floors; a cast truncates
    }
    // Arrow casts between time zones without changing the instant.
    return ExactCast(a, target, /*allow_time_truncate=*/t.unit() == arrow::TimeUnit::NANO);
  }
  if (!IsInteger(a->type_id())) return nullptr;
  auto micros = ExactCast(a, arrow::int64());
  if (!micros) return nullptr;
  auto data = micros->data()->Copy();
  data->type = target;
  return arrow::MakeArray(std::move(data));
}

// A feature column as ArrowTypeOf(type), converted exactly as ValuesFromArrow would; null when
// it cannot be done as a whole.
std::shared_ptr<arrow::Array> FeatureColumn(const std::shared_ptr<arrow::Array>& a, const DataType& type) {
  const auto target = ArrowTypeOf(type);
  const auto source = a->type_id();
  switch (type.id) {
    case TypeId::kBool: return source == arrow::Type::BOOL ? a : nullptr;
    case TypeId::kInt32:
    case TypeId::kInt64: return IsInteger(source) ? ExactCast(a, target) : nullptr;
    case TypeId::kFloat32:
      if (IsInteger(source)) {  // through float64, as a cell is (one rounding step each)
        auto d = ExactCast(a, arrow::float64());
        return d ? FeatureColumn(d, type) : nullptr;
      }
      if (source == arrow::Type::DOUBLE) {  // in float32's range (infinities and NaN pass)
        const auto& d = static_cast<const arrow::DoubleArray&>(*a);
        for (int64_t i = 0; i < d.length(); ++i) {
          const double v = d.Value(i);
          if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max() && d.IsValid(i)) return nullptr;
        }
        auto options = arrow::compute::CastOptions::Unsafe(target);
        auto cast = arrow::compute::Cast(*a, target, options);
        return cast.ok() ? *cast : nullptr;
      }
      [[fallthrough]];
    case TypeId::kFloat64:
      return source == arrow::Type::FLOAT || source == arrow::Type::DOUBLE || IsInteger(source) ? ExactCast(a, target)
                                                                                                 : nullptr;
    case TypeId::kString: return source == arrow::Type::STRING ? a : nullptr;
    case TypeId::kBytes:
      if (source == arrow::Type::BINARY) return a;
      if (source == arrow::Type::STRING) {
        auto data = a->data()->Copy();
        data->type = target;
        return arrow::MakeArray(std::move(data));
      }
      return nullptr;
    case TypeId::kTimestamp: return TimeColumn(a);
    default: return nullptr;
  }
}

}  // namespace

Result<ArrowBatchRows> ArrowBatchRows::Make(const arrow::Schema& schema, const SourceLayout& layout,
                                            const std::string& path, std::vector<std::string>* ignored) {
  ArrowBatchRows r;
  r.layout_ = layout;
  for (const auto& field : schema.fields())
    if (schema.GetAllFieldIndices(field->name()).size() > 1)
      return Status::InvalidArgument(path + ": column '" + field->name() + "' appears more than once");
  r.key_column_ = schema.GetFieldIndex(layout.entity->key);
  r.time_column_ = schema.GetFieldIndex(layout.group->event_time);
  if (r.key_column_ < 0)
    return Status::InvalidArgument(path + ": no column '" + layout.entity->key + "' (the key of entity " + layout.entity->name +
                                   "); columns are: " + schema.ToString(false));
  if (r.time_column_ < 0)
    return Status::InvalidArgument(path + ": no column '" + layout.group->event_time + "' (the event time of group " +
                                   layout.group->name + ")");
  for (const auto& f : layout.group->features) r.feature_columns_.push_back(schema.GetFieldIndex(f.name));
  r.columnar_ = ColumnsEncodable(layout.group->features);
  for (const auto& field : schema.fields()) {
    const std::string& n = field->name();
    if (n != layout.entity->key && n != layout.group->event_time && !layout.group->FindFeature(n)) ignored->push_back(n);
  }
  return r;
}

void ArrowBatchRows::Convert(const arrow::RecordBatch& batch, int64_t first_line, std::vector<SourceRecord>* out) const {
  const int64_t n = batch.num_rows();
  const auto& features = layout_.group->features;
  std::vector<Value> keys, times;
  std::vector<std::string> key_errors, time_errors;
  ValuesFromArrow(*batch.column(key_column_), TargetType::Key(layout_.entity->key_type), &keys, &key_errors);
  ValuesFromArrow(*batch.column(time_column_), TargetType::EventTime(), &times, &time_errors);
  std::vector<std::vector<Value>> values(features.size());
  std::vector<std::vector<std::string>> errors(features.size());
  for (size_t f = 0; f < features.size(); ++f)
    if (feature_columns_[f] >= 0)
      ValuesFromArrow(*batch.column(feature_columns_[f]), TargetType::Feature(features[f].type), &values[f], &errors[f]);

  const size_t base = out->size();
  out->resize(base + n);
  for (int64_t i = 0; i < n; ++i) {
    SourceRecord& rec = (*out)[base + i];
    rec.line = first_line + i;
    std::string reason;
    if (!key_errors[i].empty()) reason = "column " + layout_.entity->key + ": " + key_errors[i];
    else if (IsNull(keys[i])) reason = "missing key " + layout_.entity->key;
    else if (!time_errors[i].empty()) reason = "column " + layout_.group->event_time + ": " + time_errors[i];
    else if (IsNull(times[i])) reason = "missing event time " + layout_.group->event_time;
    for (size_t f = 0; reason.empty() && f < features.size(); ++f)
      if (feature_columns_[f] >= 0 && !errors[f][i].empty()) reason = "column " + features[f].name + ": " + errors[f][i];
    if (!reason.empty()) {
      rec.ok = false;
      rec.reason = std::move(reason);
      nlohmann::ordered_json raw = nlohmann::ordered_json::object();
      for (int c = 0; c < batch.num_columns(); ++c) {
        auto scalar = batch.column(c)->GetScalar(i);
        if (!scalar.ok() || !(*scalar)->is_valid) raw[batch.schema()->field(c)->name()] = nullptr;
        else raw[batch.schema()->field(c)->name()] = (*scalar)->ToString();
      }
      rec.raw_json = raw.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      continue;
    }
    rec.ok = true;
    rec.row.key = std::move(keys[i]);
    rec.row.event_time = std::get<int64_t>(times[i]);
    rec.row.features.resize(features.size());
    for (size_t f = 0; f < features.size(); ++f)
      if (feature_columns_[f] >= 0) rec.row.features[f] = std::move(values[f][i]);
  }
}

std::optional<GroupColumns> ArrowBatchRows::ConvertColumns(const arrow::RecordBatch& batch) const {
  if (!columnar_) return std::nullopt;
  GroupColumns out;
  out.rows = batch.num_rows();
  const auto& key = batch.column(key_column_);
  if (key->null_count() > 0) return std::nullopt;
  if (layout_.entity->key_type == KeyType::kInt64) {
    out.key = IsInteger(key->type_id()) ? ExactCast(key, arrow::int64()) : nullptr;
  } else if (key->type_id() == arrow::Type::STRING) {
    out.key = key;
  }
  if (!out.key) return std::nullopt;
  const auto& time = batch.column(time_column_);
  if (time->null_count() > 0 || !(out.event_time = TimeColumn(time))) return std::nullopt;
  const auto& features = layout_.group->features;
  for (size_t f = 0; f < features.size(); ++f) {
    std::shared_ptr<arrow::Array> column;
    if (feature_columns_[f] < 0) {
      auto nulls = arrow::MakeArrayOfNull(ArrowTypeOf(features[f].type), out.rows);
      if (!nulls.ok()) return std::nullopt;
      column = *nulls;
    } else {
      column = FeatureColumn(batch.column(feature_columns_[f]), features[f].type);
    }
    if (!column) return std::nullopt;
    out.features.push_back(std::move(column));
  }
  return out;
}

}  // namespace strata
