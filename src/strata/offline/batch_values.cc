#include "strata/offline/batch_values.h"

#include <arrow/array.h>

namespace strata {

namespace {

template <typename ArrayT, typename Out>
void Scalars(const arrow::Array& a, std::vector<Value>* out) {
  const auto& x = static_cast<const ArrayT&>(a);
  for (int64_t i = 0; i < a.length(); ++i)
    out->push_back(a.IsNull(i) ? Value() : Value(static_cast<Out>(x.Value(i))));
}

template <typename ArrayT, typename T>
void Lists(const arrow::Array& a, std::vector<Value>* out) {
  const auto& l = static_cast<const arrow::ListArray&>(a);
  const auto& v = static_cast<const ArrayT&>(*l.values());
  for (int64_t i = 0; i < a.length(); ++i) {
    if (a.IsNull(i)) {
      out->emplace_back();
      continue;
    }
    std::vector<T> xs;
    for (int32_t j = l.value_offset(i); j < l.value_offset(i + 1); ++j) {
      if constexpr (std::is_same_v<T, std::string>) {
        xs.emplace_back(v.GetView(j));
      } else {
        xs.push_back(v.Value(j));
      }
    }
    out->emplace_back(std::move(xs));
  }
}

}  // namespace

std::vector<Value> ColumnValues(const arrow::Array& a, const DataType& type) {
  std::vector<Value> out;
  out.reserve(static_cast<size_t>(a.length()));
  switch (type.id) {
    case TypeId::kBool: Scalars<arrow::BooleanArray, bool>(a, &out); break;
    case TypeId::kInt32:
      if (a.type_id() == arrow::Type::INT32) Scalars<arrow::Int32Array, int64_t>(a, &out);
      else Scalars<arrow::Int64Array, int64_t>(a, &out);
      break;
    case TypeId::kInt64: Scalars<arrow::Int64Array, int64_t>(a, &out); break;
    case TypeId::kTimestamp: Scalars<arrow::TimestampArray, int64_t>(a, &out); break;
    case TypeId::kFloat32:
      if (a.type_id() == arrow::Type::FLOAT) Scalars<arrow::FloatArray, double>(a, &out);
      else Scalars<arrow::DoubleArray, double>(a, &out);
      break;
    case TypeId::kFloat64: Scalars<arrow::DoubleArray, double>(a, &out); break;
    case TypeId::kString:
      for (int64_t i = 0; i < a.length(); ++i)
        out.push_back(a.IsNull(i) ? Value() : Value(std::string(static_cast<const arrow::StringArray&>(a).GetView(i))));
      break;
    case TypeId::kBytes:
      for (int64_t i = 0; i < a.length(); ++i)
        out.push_back(a.IsNull(i) ? Value() : Value(std::string(static_cast<const arrow::BinaryArray&>(a).GetView(i))));
      break;
    case TypeId::kListInt64: Lists<arrow::Int64Array, int64_t>(a, &out); break;
    case TypeId::kListFloat32:
    case TypeId::kVector: Lists<arrow::FloatArray, float>(a, &out); break;
    case TypeId::kListString: Lists<arrow::StringArray, std::string>(a, &out); break;
  }
  return out;
}

}  // namespace strata
