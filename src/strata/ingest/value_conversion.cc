#include "strata/ingest/value_conversion.h"

#include <arrow/api.h>
#include <arrow/util/utf8.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "strata/core/time.h"

namespace strata {

using nlohmann::json;

namespace {

Status Expected(const std::string& what, std::string_view got) {
  std::string g(got.substr(0, 64));
  if (got.size() > 64) g += "...";
  return Status::InvalidArgument("expected " + what + ", got '" + g + "'");
}

std::string TargetName(const TargetType& t) {
  switch (t.kind) {
    case TargetType::kKey: return t.key_type == KeyType::kInt64 ? "an int64 key" : "a string key";
    case TargetType::kEventTime: return "a timestamp";
    case TargetType::kFeature: break;
  }
  return t.type.ToString();
}

Result<Value> CheckInt(int64_t v, const TargetType& t) {
  if (t.kind == TargetType::kFeature && t.type.id == TypeId::kInt32 &&
      (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()))
    return Status::InvalidArgument("value " + std::to_string(v) + " is out of range for int32");
  return Value(v);
}

bool IsIntegerTarget(const TargetType& t) {
  return (t.kind == TargetType::kKey && t.key_type == KeyType::kInt64) ||
         (t.kind == TargetType::kFeature && (t.type.id == TypeId::kInt32 || t.type.id == TypeId::kInt64));
}

// float32 elements: in range; embeddings must also be finite (one inf breaks quantization).
Result<float> ToFloat32(double v, const DataType& type) {
  if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
    return Status::InvalidArgument("value " + std::to_string(v) + " is out of range for float32");
  if (type.id == TypeId::kVector && !std::isfinite(v))
    return Status::InvalidArgument("an embedding value must be finite, got " + std::to_string(v));
  return static_cast<float>(v);
}

// A float feature value: in range for float32 when that is its type.
Result<Value> FloatValue(double v, const TargetType& t) {
  if (t.type.id == TypeId::kFloat32 && std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
    return Status::InvalidArgument("value " + std::to_string(v) + " is out of range for float32");
  return Value(v);
}

// Strings are UTF-8 (Arrow's and Iceberg's string columns, proto3's string fields); a decoder
// that reads bytes into a string (Avro or Protobuf `bytes`, an Avro string) may hand others.
Status CheckUtf8(const std::string& s) {
  static const bool initialized = (arrow::util::InitializeUTF8(), true);
  (void)initialized;
  if (arrow::util::ValidateUTF8(s)) return Status::OK();
  return Status::InvalidArgument("a string that is not valid UTF-8 (use a bytes feature for binary data)");
}

Result<Value> ListFromJson(const json& j, const DataType& type) {
  if (!j.is_array()) return Expected(type.ToString() + " as a JSON array", j.dump());
  switch (type.id) {
    case TypeId::kListInt64: {
      std::vector<int64_t> out;
      out.reserve(j.size());
      for (const auto& e : j) {
        if (e.is_number_unsigned() && e.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
          return Status::InvalidArgument("value " + e.dump() + " is out of range for int64");
        if (e.is_number_integer()) out.push_back(e.get<int64_t>());
        else return Expected("integers in " + type.ToString(), e.dump());
      }
      return Value(std::move(out));
    }
    case TypeId::kListFloat32:
    case TypeId::kVector: {
      std::vector<float> out;
      out.reserve(j.size());
      for (const auto& e : j) {
        if (!e.is_number()) return Expected("numbers in " + type.ToString(), e.dump());
        STRATA_ASSIGN_OR_RETURN(float f, ToFloat32(e.get<double>(), type));
        out.push_back(f);
      }
      if (type.id == TypeId::kVector && static_cast<int32_t>(out.size()) != type.dim)
        return Status::InvalidArgument("expected " + std::to_string(type.dim) + " values for " + type.ToString() + ", got " +
                                       std::to_string(out.size()));
      return Value(std::move(out));
    }
    case TypeId::kListString: {
      std::vector<std::string> out;
      out.reserve(j.size());
      for (const auto& e : j) {
        if (!e.is_string()) return Expected("strings in " + type.ToString(), e.dump());
        STRATA_RETURN_NOT_OK(CheckUtf8(e.get_ref<const std::string&>()));
        out.push_back(e.get<std::string>());
      }
      return Value(std::move(out));
    }
    default: break;
  }
  return Status::Internal("not a list type");
}

}  // namespace

Result<Value> ValueFromText(std::string_view text, const TargetType& t) {
  if (t.kind == TargetType::kEventTime) {
    auto ts = ParseTimestamp(text);
    if (!ts.ok()) return ts.status();
    return Value(*ts);
  }
  if (t.kind == TargetType::kKey) {
    if (t.key_type == KeyType::kString) return Value(std::string(text));
  }
  if (IsIntegerTarget(t)) {
    int64_t v;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) return Expected(TargetName(t) == "int32" ? "an int32" : "an integer", text);
    return CheckInt(v, t);
  }
  switch (t.type.id) {
    case TypeId::kBool: {
      std::string s(text);
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (s == "true" || s == "1" || s == "t" || s == "yes") return Value(true);
      if (s == "false" || s == "0" || s == "f" || s == "no") return Value(false);
      return Expected("a bool (true/false)", text);
    }
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      double v;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || p != text.data() + text.size()) return Expected("a number", text);
      return FloatValue(v, t);
    }
    case TypeId::kString:
    case TypeId::kBytes: return Value(std::string(text));
    case TypeId::kTimestamp: {
      auto ts = ParseTimestamp(text);
      if (!ts.ok()) return ts.status();
      return Value(*ts);
    }
    case TypeId::kListInt64:
    case TypeId::kListFloat32:
    case TypeId::kListString:
    case TypeId::kVector: {
      json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) return Expected(t.type.ToString() + " as a JSON array like [1, 2, 3]", text);
      return ListFromJson(j, t.type);
    }
    default: break;
  }
  return Status::Internal("unhandled type");
}

Result<Value> ValueFromJson(const json& j, const TargetType& t) {
  if (j.is_null()) return Value();
  if (t.kind == TargetType::kEventTime || (t.kind == TargetType::kFeature && t.type.id == TypeId::kTimestamp)) {
    if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      return Status::InvalidArgument("timestamp " + j.dump() + " is out of range");
    if (j.is_number_integer()) return Value(j.get<int64_t>());
    if (j.is_string()) return ValueFromText(j.get_ref<const std::string&>(), t);
    return Expected("a timestamp (ISO-8601 string or integer microseconds)", j.dump());
  }
  if (t.kind == TargetType::kKey && t.key_type == KeyType::kString) {
    if (!j.is_string()) return Expected("a string key", j.dump());
    STRATA_RETURN_NOT_OK(CheckUtf8(j.get_ref<const std::string&>()));
    return Value(j.get<std::string>());
  }
  if (IsIntegerTarget(t)) {
    if (j.is_number_integer()) {
      if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        return Status::InvalidArgument("value " + j.dump() + " is out of range for int64");
      return CheckInt(j.get<int64_t>(), t);
    }
    if (j.is_number_float()) {
      const double d = j.get<double>();
      if (std::trunc(d) == d && std::fabs(d) < 9.2e18) return CheckInt(static_cast<int64_t>(d), t);
    }
    return Expected(TargetName(t) == "int32" ? "an int32" : "an integer", j.dump());
  }
  switch (t.type.id) {
    case TypeId::kBool:
      if (j.is_boolean()) return Value(j.get<bool>());
      return Expected("a bool (true/false)", j.dump());
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      if (j.is_number()) return FloatValue(j.get<double>(), t);
      return Expected("a number", j.dump());
    case TypeId::kString:
    case TypeId::kBytes:
      if (!j.is_string()) return Expected("a string", j.dump());
      if (t.type.id == TypeId::kString) STRATA_RETURN_NOT_OK(CheckUtf8(j.get_ref<const std::string&>()));
      return Value(j.get<std::string>());
    case TypeId::kListInt64:
    case TypeId::kListFloat32:
    case TypeId::kListString:
    case TypeId::kVector: return ListFromJson(j, t.type);
    default: break;
  }
  return Status::Internal("unhandled type");
}

namespace {

// Per-row conversion of an Arrow column through a cell accessor.
template <typename Fn>
void ForEachCell(const arrow::Array& a, std::vector<Value>* values, std::vector<std::string>* errors, Fn&& fn) {
  const int64_t n = a.length();
  values->assign(n, Value());
  errors->assign(n, std::string());
  for (int64_t i = 0; i < n; ++i) {
    if (a.IsNull(i)) continue;
    Result<Value> v = fn(i);
    if (v.ok()) (*values)[i] = std::move(*v);
    else (*errors)[i] = v.status().message();
  }
}

Result<int64_t> IntegerCell(const arrow::Array& a, int64_t i) {
  switch (a.type_id()) {
    case arrow::Type::INT8: return static_cast<const arrow::Int8Array&>(a).Value(i);
    case arrow::Type::INT16: return static_cast<const arrow::Int16Array&>(a).Value(i);
    case arrow::Type::INT32: return static_cast<const arrow::Int32Array&>(a).Value(i);
    case arrow::Type::INT64: return static_cast<const arrow::Int64Array&>(a).Value(i);
    case arrow::Type::UINT8: return static_cast<const arrow::UInt8Array&>(a).Value(i);
    case arrow::Type::UINT16: return static_cast<const arrow::UInt16Array&>(a).Value(i);
    case arrow::Type::UINT32: return static_cast<const arrow::UInt32Array&>(a).Value(i);
    case arrow::Type::UINT64: {
      const uint64_t v = static_cast<const arrow::UInt64Array&>(a).Value(i);
      if (v > static_cast<uint64_t>(INT64_MAX)) return Status::InvalidArgument("value " + std::to_string(v) + " is out of range for int64");
      return static_cast<int64_t>(v);
    }
    default: break;
  }
  return Status::InvalidArgument("expected an integer column, got " + a.type()->ToString());
}

Result<double> FloatCell(const arrow::Array& a, int64_t i) {
  if (a.type_id() == arrow::Type::FLOAT) return static_cast<double>(static_cast<const arrow::FloatArray&>(a).Value(i));
  if (a.type_id() == arrow::Type::DOUBLE) return static_cast<const arrow::DoubleArray&>(a).Value(i);
  STRATA_ASSIGN_OR_RETURN(int64_t v, IntegerCell(a, i));
  return static_cast<double>(v);
}

bool IsStringLike(const arrow::Array& a) {
  return a.type_id() == arrow::Type::STRING || a.type_id() == arrow::Type::LARGE_STRING ||
         a.type_id() == arrow::Type::BINARY || a.type_id() == arrow::Type::LARGE_BINARY;
}

std::string_view StringCell(const arrow::Array& a, int64_t i) {
  switch (a.type_id()) {
    case arrow::Type::STRING: return static_cast<const arrow::StringArray&>(a).GetView(i);
    case arrow::Type::LARGE_STRING: return static_cast<const arrow::LargeStringArray&>(a).GetView(i);
    case arrow::Type::BINARY: return static_cast<const arrow::BinaryArray&>(a).GetView(i);
    case arrow::Type::LARGE_BINARY: return static_cast<const arrow::LargeBinaryArray&>(a).GetView(i);
    default: return {};
  }
}

Result<int64_t> ScaleTime(int64_t v, int64_t scale) {
  int64_t out;
  if (__builtin_mul_overflow(v, scale, &out)) return Status::InvalidArgument("time " + std::to_string(v) + " is out of range");
  return out;
}

Result<int64_t> TimestampCell(const arrow::Array& a, int64_t i) {
  switch (a.type_id()) {
    case arrow::Type::TIMESTAMP: {
      const auto& t = static_cast<const arrow::TimestampType&>(*a.type());
      const int64_t v = static_cast<const arrow::TimestampArray&>(a).Value(i);
      switch (t.unit()) {
        case arrow::TimeUnit::SECOND: return ScaleTime(v, kMicrosPerSecond);
        case arrow::TimeUnit::MILLI: return ScaleTime(v, 1000);
        case arrow::TimeUnit::MICRO: return v;
        case arrow::TimeUnit::NANO: return v / 1000 - (v % 1000 < 0 ? 1 : 0);  // floor
      }
      break;
    }
    case arrow::Type::DATE32: return ScaleTime(static_cast<const arrow::Date32Array&>(a).Value(i), kMicrosPerDay);
    case arrow::Type::DATE64: return ScaleTime(static_cast<const arrow::Date64Array&>(a).Value(i), 1000);
    default: break;
  }
  if (IsStringLike(a)) return ParseTimestamp(StringCell(a, i));
  auto v = IntegerCell(a, i);
  if (v.ok()) return *v;
  return Status::InvalidArgument("expected a timestamp column, got " + a.type()->ToString());
}

// The element range of list cell i, for list, large_list and fixed_size_list columns.
bool ListCell(const arrow::Array& a, int64_t i, std::shared_ptr<arrow::Array>* values, int64_t* begin, int64_t* end) {
  switch (a.type_id()) {
    case arrow::Type::LIST: {
      const auto& l = static_cast<const arrow::ListArray&>(a);
      *values = l.values();
      *begin = l.value_offset(i);
      *end = l.value_offset(i + 1);
      return true;
    }
    case arrow::Type::LARGE_LIST: {
      const auto& l = static_cast<const arrow::LargeListArray&>(a);
      *values = l.values();
      *begin = l.value_offset(i);
      *end = l.value_offset(i + 1);
      return true;
    }
    case arrow::Type::FIXED_SIZE_LIST: {
      const auto& l = static_cast<const arrow::FixedSizeListArray&>(a);
      *values = l.values();
      *begin = l.value_offset(i);
      *end = *begin + l.value_length();
      return true;
    }
    default: return false;
  }
}

Result<Value> ListCellValue(const arrow::Array& a, int64_t i, const DataType& type) {
  std::shared_ptr<arrow::Array> values;
  int64_t b, e;
  if (!ListCell(a, i, &values, &b, &e)) {
    if (IsStringLike(a)) return ValueFromText(StringCell(a, i), TargetType::Feature(type));
    return Status::InvalidArgument("expected a list column for " + type.ToString() + ", got " + a.type()->ToString());
  }
  for (int64_t k = b; k < e; ++k)
    if (values->IsNull(k)) return Status::InvalidArgument("a list of " + type.ToString() + " holds a null element");
  if (type.id == TypeId::kListInt64) {
    std::vector<int64_t> out;
    out.reserve(e - b);
    for (int64_t k = b; k < e; ++k) {
      STRATA_ASSIGN_OR_RETURN(int64_t v, IntegerCell(*values, k));
      out.push_back(v);
    }
    return Value(std::move(out));
  }
  if (type.id == TypeId::kListString) {
    if (!IsStringLike(*values)) return Status::InvalidArgument("expected a list of strings, got " + a.type()->ToString());
    std::vector<std::string> out;
    for (int64_t k = b; k < e; ++k) out.emplace_back(StringCell(*values, k));
    return Value(std::move(out));
  }
  std::vector<float> out;
  out.reserve(e - b);
  for (int64_t k = b; k < e; ++k) {
    STRATA_ASSIGN_OR_RETURN(double v, FloatCell(*values, k));
    STRATA_ASSIGN_OR_RETURN(float f, ToFloat32(v, type));
    out.push_back(f);
  }
  if (type.id == TypeId::kVector && static_cast<int32_t>(out.size()) != type.dim)
    return Status::InvalidArgument("expected " + std::to_string(type.dim) + " values for " + type.ToString() + ", got " +
                                   std::to_string(out.size()));
  return Value(std::move(out));
}

}  // namespace

void ValuesFromArrow(const arrow::Array& a, const TargetType& t, std::vector<Value>* values, std::vector<std::string>* errors) {
  // Text columns (CSV, or strings in Parquet) go through the text parser.
  const bool text = IsStringLike(a);
  if (text && !(t.kind == TargetType::kFeature && (t.type.id == TypeId::kString || t.type.id == TypeId::kBytes))) {
    ForEachCell(a, values, errors, [&](int64_t i) { return ValueFromText(StringCell(a, i), t); });
    return;
  }
  if (t.kind == TargetType::kEventTime || (t.kind == TargetType::kFeature && t.type.id == TypeId::kTimestamp)) {
    ForEachCell(a, values, errors, [&](int64_t i) -> Result<Value> {
      STRATA_ASSIGN_OR_RETURN(int64_t v, TimestampCell(a, i));
      return Value(v);
    });
    return;
  }
  if (t.kind == TargetType::kKey && t.key_type == KeyType::kString) {
    ForEachCell(a, values, errors, [&](int64_t) -> Result<Value> {
      return Status::InvalidArgument("expected a string key column, got " + a.type()->ToString());
    });
    return;
  }
  if (IsIntegerTarget(t)) {
    ForEachCell(a, values, errors, [&](int64_t i) -> Result<Value> {
      STRATA_ASSIGN_OR_RETURN(int64_t v, IntegerCell(a, i));
      return CheckInt(v, t);
    });
    return;
  }
  ForEachCell(a, values, errors, [&](int64_t i) -> Result<Value> {
    switch (t.type.id) {
      case TypeId::kBool:
        if (a.type_id() == arrow::Type::BOOL) return Value(static_cast<const arrow::BooleanArray&>(a).Value(i));
        return Status::InvalidArgument("expected a bool column, got " + a.type()->ToString());
      case TypeId::kFloat32:
      case TypeId::kFloat64: {
        STRATA_ASSIGN_OR_RETURN(double v, FloatCell(a, i));
        return FloatValue(v, t);
      }
      case TypeId::kString:
      case TypeId::kBytes:
        if (IsStringLike(a)) return Value(std::string(StringCell(a, i)));
        return Status::InvalidArgument("expected a string column, got " + a.type()->ToString());
      default: return ListCellValue(a, i, t.type);
    }
  });
}

}  // namespace strata
