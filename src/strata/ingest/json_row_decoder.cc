#include "strata/ingest/json_row_decoder.h"

#include <nlohmann/json.hpp>

#include "strata/ingest/value_conversion.h"

namespace strata {

JsonRowDecoder::JsonRowDecoder(const EntityDef& entity, const FeatureGroupDef& group, std::map<std::string, std::string> renames)
    : entity_(entity), group_(group), renames_(std::move(renames)) {
  known_[FieldOf(entity.key)] = true;
  known_[FieldOf(group.event_time)] = true;
  for (const auto& f : group.features) known_[FieldOf(f.name)] = true;
}

const std::string& JsonRowDecoder::FieldOf(const std::string& column) const {
  auto it = renames_.find(column);
  return it == renames_.end() ? column : it->second;
}

bool JsonRowDecoder::Decode(std::string_view text, FeatureRow* row, std::string* reason) {
  using nlohmann::json;
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    *reason = "not a JSON object";
    return false;
  }
  return DecodeObject(j, row, reason);
}

bool JsonRowDecoder::DecodeObject(const nlohmann::json& j, FeatureRow* row, std::string* reason) {
  if (!j.is_object()) {
    *reason = "not an object";
    return false;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!known_.count(it.key()) && !seen_unknown_[it.key()]) {
      seen_unknown_[it.key()] = true;
      unknown_fields_.push_back(it.key());
    }
  }
  auto field = [&](const std::string& column, const TargetType& t, Value* v) -> bool {
    const std::string& name = FieldOf(column);
    auto it = j.find(name);
    if (it == j.end()) return true;
    auto r = ValueFromJson(*it, t);
    if (!r.ok()) {
      *reason = "column " + name + ": " + r.status().message();
      return false;
    }
    *v = std::move(*r);
    return true;
  };
  *row = FeatureRow{};
  if (!field(entity_.key, TargetType::Key(entity_.key_type), &row->key)) return false;
  if (IsNull(row->key)) {
    *reason = "missing key " + FieldOf(entity_.key);
    return false;
  }
  Value ts;
  if (!field(group_.event_time, TargetType::EventTime(), &ts)) return false;
  if (IsNull(ts)) {
    *reason = "missing event time " + FieldOf(group_.event_time);
    return false;
  }
  row->event_time = std::get<int64_t>(ts);
  row->features.resize(group_.features.size());
  for (size_t f = 0; f < group_.features.size(); ++f)
    if (!field(group_.features[f].name, TargetType::Feature(group_.features[f].type), &row->features[f])) return false;
  return true;
}

}  // namespace strata
