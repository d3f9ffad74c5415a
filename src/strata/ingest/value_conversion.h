#pragma once
// Converting source values (CSV text, JSON values, Arrow columns) into typed feature
// values. Each failure returns a reason that names what was expected.

#include <arrow/type_fwd.h>

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "strata/core/data_type.h"
#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/core/value.h"

namespace strata {

// What a source column is converted to: a feature type, an entity key or the event time.
struct TargetType {
  enum Kind { kFeature, kKey, kEventTime } kind = kFeature;
  DataType type;           // kFeature
  KeyType key_type = KeyType::kInt64;  // kKey

  static TargetType Feature(const DataType& t) { return {kFeature, t, KeyType::kInt64}; }
  static TargetType Key(KeyType k) { return {kKey, DataType(), k}; }
  static TargetType EventTime() { return {kEventTime, DataType::Of(TypeId::kTimestamp), KeyType::kInt64}; }
};

// CSV text. Lists and vectors are JSON arrays ("[1, 2, 3]"). An empty field is null (handled by the caller).
Result<Value> ValueFromText(std::string_view text, const TargetType& target);

// One JSON value (null gives monostate).
Result<Value> ValueFromJson(const nlohmann::json& j, const TargetType& target);

// A whole Arrow column. `values[i]` is set, or `errors[i]` is non-empty with the reason.
void ValuesFromArrow(const arrow::Array& array, const TargetType& target, std::vector<Value>* values,
                     std::vector<std::string>* errors);

}  // namespace strata
