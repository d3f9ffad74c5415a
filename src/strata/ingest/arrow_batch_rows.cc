#include "strata/ingest/arrow_batch_rows.h"

#include <arrow/api.h>

#include <nlohmann/json.hpp>

#include "strata/ingest/value_conversion.h"

namespace strata {

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

}  // namespace strata
