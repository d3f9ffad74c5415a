#include "strata/serving/push_decoding.h"

#include <cmath>
#include <limits>

namespace strata::serving {

namespace {

bool FitsFloat32(double d) { return !std::isfinite(d) || std::fabs(d) <= std::numeric_limits<float>::max(); }

const char* KindName(v1::Value::KindCase k) {
  switch (k) {
    case v1::Value::kBoolValue: return "bool_value";
    case v1::Value::kInt64Value: return "int64_value";
    case v1::Value::kDoubleValue: return "double_value";
    case v1::Value::kStringValue: return "string_value";
    case v1::Value::kBytesValue: return "bytes_value";
    case v1::Value::kInt64List: return "int64_list";
    case v1::Value::kDoubleList: return "double_list";
    case v1::Value::kStringList: return "string_list";
    default: return "no value";
  }
}

Result<Value> ConvertValue(const v1::Value& v, const DataType& type) {
  auto wrong = [&](const char* expected) {
    return Status::InvalidArgument(std::string("expected ") + expected + " for type " + type.ToString() + ", got " +
                                   KindName(v.kind_case()));
  };
  const auto k = v.kind_case();
  if (k == v1::Value::KIND_NOT_SET) return Value{};  // an explicit null
  switch (type.id) {
    case TypeId::kBool:
      if (k != v1::Value::kBoolValue) return wrong("bool_value");
      return Value{v.bool_value()};
    case TypeId::kInt32:
      if (k != v1::Value::kInt64Value) return wrong("int64_value");
      if (v.int64_value() < std::numeric_limits<int32_t>::min() || v.int64_value() > std::numeric_limits<int32_t>::max())
        return Status::InvalidArgument(std::to_string(v.int64_value()) + " does not fit int32");
      return Value{v.int64_value()};
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      if (k != v1::Value::kInt64Value) return wrong("int64_value");
      return Value{v.int64_value()};
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      if (k != v1::Value::kInt64Value && k != v1::Value::kDoubleValue) return wrong("double_value");
      const double d = k == v1::Value::kInt64Value ? static_cast<double>(v.int64_value()) : v.double_value();
      if (type.id == TypeId::kFloat32 && !FitsFloat32(d))
        return Status::InvalidArgument("value " + std::to_string(d) + " is out of range for float32");
      return Value{d};
    }
    case TypeId::kString:
      if (k != v1::Value::kStringValue) return wrong("string_value");
      return Value{v.string_value()};
    case TypeId::kBytes:
      if (k == v1::Value::kStringValue) return Value{v.string_value()};
      if (k != v1::Value::kBytesValue) return wrong("bytes_value");
      return Value{v.bytes_value()};
    case TypeId::kListInt64:
      if (k != v1::Value::kInt64List) return wrong("int64_list");
      return Value{std::vector<int64_t>(v.int64_list().values().begin(), v.int64_list().values().end())};
    case TypeId::kListFloat32:
    case TypeId::kVector: {
      if (k != v1::Value::kDoubleList) return wrong("double_list");
      const auto& d = v.double_list().values();
      if (type.id == TypeId::kVector && d.size() != type.dim)
        return Status::InvalidArgument("expected " + std::to_string(type.dim) + " values for " + type.ToString() + ", got " +
                                       std::to_string(d.size()));
      for (double x : d) {
        if (!FitsFloat32(x)) return Status::InvalidArgument("value " + std::to_string(x) + " is out of range for float32");
        if (type.id == TypeId::kVector && !std::isfinite(x)) return Status::InvalidArgument("embedding values must be finite");
      }
      return Value{std::vector<float>(d.begin(), d.end())};
    }
    case TypeId::kListString:
      if (k != v1::Value::kStringList) return wrong("string_list");
      return Value{std::vector<std::string>(v.string_list().values().begin(), v.string_list().values().end())};
  }
  return Status::Internal("unknown type");
}

}  // namespace

Result<DecodedPush> DecodePush(const RepoDefinition& definition, const v1::PushRequest& request, int64_t max_rows) {
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
    if (in.event_time_micros() == 0) return Status::InvalidArgument(where + ": event_time_micros is required");
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
