#include "strata/serving/push_encoding.h"

namespace strata::serving {

namespace {

void EncodeValue(const Value& value, const DataType& type, v1::Value* out) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          out->set_bool_value(v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          out->set_int64_value(v);
        } else if constexpr (std::is_same_v<T, double>) {
          out->set_double_value(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (type.id == TypeId::kBytes) out->set_bytes_value(v);
          else out->set_string_value(v);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          out->mutable_int64_list()->mutable_values()->Add(v.begin(), v.end());
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          auto* values = out->mutable_double_list()->mutable_values();
          values->Reserve(static_cast<int>(v.size()));
          for (const float f : v) values->AddAlreadyReserved(f);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          auto* list = out->mutable_string_list();  // set even when empty: an empty list is not null
          for (const auto& s : v) list->add_values(s);
        }
      },
      value);
}

}  // namespace

Status EncodePush(const EntityDef& entity, const FeatureGroupDef& group, std::span<const FeatureRow> rows,
                  v1::PushRequest* out) {
  out->set_group(group.name);
  out->mutable_rows()->Reserve(out->rows_size() + static_cast<int>(rows.size()));
  for (const FeatureRow& row : rows) {
    v1::PushRow* r = out->add_rows();
    if (entity.key_type == KeyType::kInt64) {
      if (!std::holds_alternative<int64_t>(row.key)) return Status::InvalidArgument("entity " + entity.name + " needs int64 keys");
      r->set_int64_key(std::get<int64_t>(row.key));
    } else {
      if (!std::holds_alternative<std::string>(row.key)) return Status::InvalidArgument("entity " + entity.name + " needs string keys");
      r->set_string_key(std::get<std::string>(row.key));
    }
    r->set_event_time_micros(row.event_time);
    if (row.features.size() > group.features.size())
      return Status::InvalidArgument("a row of " + group.name + " has more values than the group has features");
    auto* features = r->mutable_features();
    for (size_t f = 0; f < row.features.size(); ++f) {
      if (IsNull(row.features[f])) continue;
      EncodeValue(row.features[f], group.features[f].type, &(*features)[group.features[f].name]);
    }
  }
  return Status::OK();
}

}  // namespace strata::serving
