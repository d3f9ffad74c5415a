#include "strata/serving/push_decoding.h"

#include <nlohmann/json.hpp>

#include "strata/ingest/value_conversion.h"

namespace strata::serving {

namespace {

// The proto value as the JSON value ingest's converter takes, so that a pushed row gets
// exactly ingest's validation (ranges, widening, embedding dimension and finiteness).
Result<nlohmann::json> AsJson(const v1::Value& v, const DataType& type) {
  switch (v.kind_case()) {
    case v1::Value::KIND_NOT_SET: return nlohmann::json(nullptr);
    case v1::Value::kBoolValue: return nlohmann::json(v.bool_value());
    case v1::Value::kInt64Value: return nlohmann::json(v.int64_value());
    case v1::Value::kDoubleValue: return nlohmann::json(v.double_value());
    case v1::Value::kStringValue: return nlohmann::json(v.string_value());
    case v1::Value::kBytesValue:  // raw bytes: only for bytes features (JSON text cannot carry them)
      if (type.id != TypeId::kBytes) return Status::InvalidArgument("expected a value for type " + type.ToString() + ", got bytes_value");
      return nlohmann::json(v.bytes_value());
    case v1::Value::kInt64List: return nlohmann::json(std::vector<int64_t>(v.int64_list().values().begin(), v.int64_list().values().end()));
    case v1::Value::kDoubleList: return nlohmann::json(std::vector<double>(v.double_list().values().begin(), v.double_list().values().end()));
    case v1::Value::kStringList:
      return nlohmann::json(std::vector<std::string>(v.string_list().values().begin(), v.string_list().values().end()));
  }
  return Status::Internal("unknown value kind");
}

Result<Value> ConvertValue(const v1::Value& v, const DataType& type) {
  STRATA_ASSIGN_OR_RETURN(nlohmann::json j, AsJson(v, type));
  return ValueFromJson(j, TargetType::Feature(type));
}

}  // namespace

Result<DecodedPush> DecodePush(const RepoDefinition& definition, const v1::PushRequest& request, int64_t max_rows,
                               bool zero_time_is_unset) {
  DecodedPush out;
  out.group = definition.FindGroup(request.group());
  if (!out.group) {
    std::string names;
    for (const auto& g : definition.groups) names += (names.empty() ? "" : ", ") + g.name;
    return Status::InvalidArgument("unknown feature group '" + request.group() + "'; groups: " + names);
  }
  const FeatureGroupDef& g = *out.group;
  const EntityDef* entity = definition.FindEntity(g.entity);
  if (!entity) return Status::Internal("group " + g.name + " has no entity");
  if (request.rows_size() == 0) return Status::InvalidArgument("push to " + g.name + " has no rows");
  if (request.rows_size() > max_rows)
    return Status::InvalidArgument("oversized batch: " + std::to_string(request.rows_size()) + " rows, at most " +
                                   std::to_string(max_rows) + " per push");
  out.rows.reserve(request.rows_size());
  for (int r = 0; r < request.rows_size(); ++r) {
    const v1::PushRow& in = request.rows(r);
    const std::string where = "row " + std::to_string(r) + " of the push to " + g.name;
    FeatureRow row;
    if (entity->key_type == KeyType::kInt64) {
      if (in.key_case() != v1::PushRow::kInt64Key)
        return Status::InvalidArgument(where + ": entity " + entity->name + " needs an int64_key");
      row.key = in.int64_key();
    } else {
      if (in.key_case() != v1::PushRow::kStringKey)
        return Status::InvalidArgument(where + ": entity " + entity->name + " needs a string_key");
      row.key = in.string_key();
    }
    if (in.event_time_micros() == 0 && zero_time_is_unset)
      return Status::InvalidArgument(where + ": event_time_micros is required");
    row.event_time = in.event_time_micros();
    row.features.resize(g.features.size());
    for (const auto& [name, value] : in.features()) {
      const FeatureDef* f = g.FindFeature(name);
      if (!f) return Status::InvalidArgument(where + ": group " + g.name + " has no feature '" + name + "'");
      auto v = ConvertValue(value, f->type);
      if (!v.ok()) return Status::InvalidArgument(where + ", feature " + name + ": " + v.status().message());
      row.features[f - g.features.data()] = std::move(*v);
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace strata::serving
