#include "strata/core/column_row_encoder.h"

#include <arrow/array.h>

#include "strata/core/row_codec.h"

namespace strata {

namespace {

bool IsScalar(TypeId id) {
  switch (id) {
    case TypeId::kBool: case TypeId::kInt32: case TypeId::kInt64: case TypeId::kFloat32: case TypeId::kFloat64:
    case TypeId::kString: case TypeId::kBytes: case TypeId::kTimestamp: return true;
    default: return false;
  }
}

// The field header of feature `id`, encoded once per column.
std::string Header(uint32_t id, WireTag tag) {
  std::string h;
  PutVarint(&h, id);
  h.push_back(static_cast<char>(tag));
  return h;
}

template <typename T>
void AppendFixed(const arrow::Array& a, const std::string& header, std::vector<std::string>* rows) {
  const T* values = a.data()->GetValues<T>(1);
  const bool nulls = a.null_count() > 0;
  for (int64_t i = 0; i < a.length(); ++i) {
    if (nulls && a.IsNull(i)) continue;
    std::string& out = (*rows)[i];
    out.append(header);
    out.append(reinterpret_cast<const char*>(values + i), sizeof(T));
  }
}

template <typename ArrayType>
void AppendBinary(const arrow::Array& a, const std::string& header, std::vector<std::string>* rows) {
  const auto& s = static_cast<const ArrayType&>(a);
  const bool nulls = a.null_count() > 0;
  for (int64_t i = 0; i < a.length(); ++i) {
    if (nulls && a.IsNull(i)) continue;
    const std::string_view v = s.GetView(i);
    std::string& out = (*rows)[i];
    out.append(header);
    PutVarint(&out, v.size());
    out.append(v);
  }
}

}  // namespace

bool ColumnsEncodable(const std::vector<FeatureDef>& features) {
  for (const auto& f : features)
    if (!IsScalar(f.type.id)) return false;
  return true;
}

void EncodeRowsFromColumns(const std::vector<FeatureDef>& features,
                           std::span<const std::shared_ptr<arrow::Array>> columns, std::vector<std::string>* rows) {
  // Each row's size first, so that its string is allocated once.
  std::vector<size_t> sizes(rows->size(), 0);
  for (size_t f = 0; f < features.size(); ++f) {
    const arrow::Array& a = *columns[f];
    const size_t header = Header(features[f].id, WireTag::kBool).size();
    size_t fixed = 0;
    switch (features[f].type.id) {
      case TypeId::kBool: fixed = 1; break;
      case TypeId::kInt32: case TypeId::kFloat32: fixed = 4; break;
      case TypeId::kInt64: case TypeId::kTimestamp: case TypeId::kFloat64: fixed = 8; break;
      default: break;
    }
    const auto* offsets = fixed == 0 ? a.data()->GetValues<int32_t>(1) : nullptr;
    for (int64_t i = 0; i < a.length(); ++i) {
      if (a.IsNull(i)) continue;
      sizes[i] += header + (offsets ? 5 + static_cast<size_t>(offsets[i + 1] - offsets[i]) : fixed);
    }
  }
  for (size_t i = 0; i < rows->size(); ++i) (*rows)[i].reserve((*rows)[i].size() + sizes[i]);
  // Column by column (each column's loop is tight), appending to every row in turn: the rows
  // come out field by field in feature order, as EncodeRow writes them.
  for (size_t f = 0; f < features.size(); ++f) {
    const arrow::Array& a = *columns[f];
    const uint32_t id = features[f].id;
    switch (features[f].type.id) {
      case TypeId::kBool: {
        const std::string header = Header(id, WireTag::kBool);
        const auto& b = static_cast<const arrow::BooleanArray&>(a);
        for (int64_t i = 0; i < a.length(); ++i) {
          if (a.IsNull(i)) continue;
          (*rows)[i].append(header);
          (*rows)[i].push_back(b.Value(i) ? 1 : 0);
        }
        break;
      }
      case TypeId::kInt32: AppendFixed<int32_t>(a, Header(id, WireTag::kInt32), rows); break;
      case TypeId::kInt64:
      case TypeId::kTimestamp: AppendFixed<int64_t>(a, Header(id, WireTag::kInt64), rows); break;
      case TypeId::kFloat32: AppendFixed<float>(a, Header(id, WireTag::kFloat32), rows); break;
      case TypeId::kFloat64: AppendFixed<double>(a, Header(id, WireTag::kFloat64), rows); break;
      case TypeId::kString: AppendBinary<arrow::StringArray>(a, Header(id, WireTag::kBytes), rows); break;
      case TypeId::kBytes: AppendBinary<arrow::BinaryArray>(a, Header(id, WireTag::kBytes), rows); break;
      default: break;  // not encodable here (ColumnsEncodable)
    }
  }
}

}  // namespace strata
