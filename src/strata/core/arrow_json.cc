#include "strata/core/arrow_json.h"

#include <arrow/api.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
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

void AppendJsonString(std::string_view s, std::string* out) {
  // Most strings are printable ASCII with nothing to escape: copied as they are. The rest (escapes,
  // UTF-8 to check, invalid bytes replaced by U+FFFD) go through nlohmann's serializer.
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  });
  if (plain) {
    out->push_back('"');
    out->append(s);
    out->push_back('"');
    return;
  }
  out->append(nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

namespace {

template <typename T>
void AppendFloat(T v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buf[32];  // the shortest text that reads back as v: at most 24 characters for a double
  out->append(buf, fmt::format_to_n(buf, sizeof buf, "{}", v).out);
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  out->append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
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
    case arrow::Type::INT32: AppendInt(static_cast<const arrow::Int32Array&>(a).Value(i), out); return;
    case arrow::Type::INT64: AppendInt(static_cast<const arrow::Int64Array&>(a).Value(i), out); return;
    case arrow::Type::FLOAT: AppendFloat(static_cast<const arrow::FloatArray&>(a).Value(i), out); return;
    case arrow::Type::DOUBLE: AppendFloat(static_cast<const arrow::DoubleArray&>(a).Value(i), out); return;
    case arrow::Type::STRING: AppendJsonString(static_cast<const arrow::StringArray&>(a).GetView(i), out); return;
    case arrow::Type::BINARY: AppendJsonString(static_cast<const arrow::BinaryArray&>(a).GetView(i), out); return;
    case arrow::Type::TIMESTAMP:
      AppendJsonString(FormatTimestamp(TimestampMicros(a, i)), out);
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
