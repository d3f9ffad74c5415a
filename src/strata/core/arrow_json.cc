#include "strata/core/arrow_json.h"

#include <arrow/api.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "strata/core/time.h"

namespace strata {

namespace {

// A timestamp cell of any unit in microseconds (nanoseconds are truncated).
int64_t TimestampMicros(const arrow::Array& a, int64_t i) {
  const int64_t v = static_cast<const arrow::TimestampArray&>(a).Value(i);
  switch (static_cast<const arrow::TimestampType&>(*a.type()).unit()) {
    case arrow::TimeUnit::SECOND: return v * 1'000'000;
    case arrow::TimeUnit::MILLI: return v * 1'000;
    case arrow::TimeUnit::MICRO: return v;
    case arrow::TimeUnit::NANO: return v / 1'000;
  }
  return v;
}

}  // namespace

std::string JsonString(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

template <typename T>
void AppendFloat(T v, std::string* out) {
  if (std::isfinite(v)) out->append(fmt::format("{}", v));
  else out->append("null");
}

void AppendRange(const arrow::Array& values, int64_t begin, int64_t end, std::string* out) {
  out->push_back('[');
  for (int64_t k = begin; k < end; ++k) {
    if (k > begin) out->append(", ");
    AppendJsonCell(values, k, out);
  }
  out->push_back(']');
}

}  // namespace

void AppendJsonCell(const arrow::Array& a, int64_t i, std::string* out, int64_t max_list_elements) {
  if (a.IsNull(i)) {
    out->append("null");
    return;
  }
  switch (a.type_id()) {
    case arrow::Type::BOOL: out->append(static_cast<const arrow::BooleanArray&>(a).Value(i) ? "true" : "false"); return;
    case arrow::Type::INT32: out->append(std::to_string(static_cast<const arrow::Int32Array&>(a).Value(i))); return;
    case arrow::Type::INT64: out->append(std::to_string(static_cast<const arrow::Int64Array&>(a).Value(i))); return;
    case arrow::Type::FLOAT: AppendFloat(static_cast<const arrow::FloatArray&>(a).Value(i), out); return;
    case arrow::Type::DOUBLE: AppendFloat(static_cast<const arrow::DoubleArray&>(a).Value(i), out); return;
    case arrow::Type::STRING: out->append(JsonString(static_cast<const arrow::StringArray&>(a).GetView(i))); return;
    case arrow::Type::BINARY: out->append(JsonString(static_cast<const arrow::BinaryArray&>(a).GetView(i))); return;
    case arrow::Type::TIMESTAMP:
      out->append(JsonString(FormatTimestamp(TimestampMicros(a, i))));
      return;
    case arrow::Type::LIST: {
      const auto& l = static_cast<const arrow::ListArray&>(a);
      int64_t end = l.value_offset(i + 1);
      if (max_list_elements >= 0) end = std::min(end, l.value_offset(i) + max_list_elements);
      AppendRange(*l.values(), l.value_offset(i), end, out);
      return;
    }
    case arrow::Type::FIXED_SIZE_LIST: {
      const auto& l = static_cast<const arrow::FixedSizeListArray&>(a);
      AppendRange(*l.values(), l.value_offset(i), l.value_offset(i) + l.value_length(), out);
      return;
    }
    default: {
      auto s = a.GetScalar(i);
      out->append(JsonString(s.ok() ? (*s)->ToString() : "?"));
    }
  }
}

std::string TextCell(const arrow::Array& a, int64_t i) {
  if (a.IsNull(i)) return "";
  if (a.type_id() == arrow::Type::STRING) return std::string(static_cast<const arrow::StringArray&>(a).GetView(i));
  if (a.type_id() == arrow::Type::TIMESTAMP) return FormatTimestamp(TimestampMicros(a, i));
  std::string out;
  AppendJsonCell(a, i, &out);
  return out;
}

}  // namespace strata
