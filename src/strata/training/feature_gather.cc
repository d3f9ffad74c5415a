#include "strata/core/arrow_status.h"
#include "strata/training/feature_gather.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>

#include <cstring>

#include "strata/core/arrow_types.h"
#include "strata/core/quantization.h"

namespace strata::training {

namespace {

// Indices for Take: `rows` with nulls where negative.
Result<std::shared_ptr<arrow::Array>> IndexArray(const std::vector<int64_t>& rows) {
  const int64_t n = static_cast<int64_t>(rows.size());
  auto values = arrow::AllocateBuffer(n * 8);
  if (!values.ok()) return FromArrow(values.status(), "allocating indices");
  if (!rows.empty()) std::memcpy((*values)->mutable_data(), rows.data(), rows.size() * 8);
  std::shared_ptr<arrow::Buffer> validity;
  int64_t nulls = 0;
  for (int64_t r : rows) nulls += r < 0;
  if (nulls > 0) {
    auto bitmap = arrow::AllocateEmptyBitmap(n);
    if (!bitmap.ok()) return FromArrow(bitmap.status(), "allocating indices");
    uint8_t* bits = (*bitmap)->mutable_data();
    int64_t* v = reinterpret_cast<int64_t*>((*values)->mutable_data());
    for (int64_t i = 0; i < n; ++i) {
      if (rows[i] >= 0) {
        arrow::bit_util::SetBit(bits, i);
      } else {
        v[i] = 0;
      }
    }
    validity = std::shared_ptr<arrow::Buffer>(std::move(*bitmap));
  }
  return std::shared_ptr<arrow::Array>(
      std::make_shared<arrow::Int64Array>(n, std::shared_ptr<arrow::Buffer>(std::move(*values)), validity, nulls));
}

Result<std::shared_ptr<arrow::Array>> Take(const std::shared_ptr<arrow::Array>& column, const arrow::Array& indices) {
  auto r = arrow::compute::Take(*column, indices, arrow::compute::TakeOptions::NoBoundsCheck());
  if (!r.ok()) return FromArrow(r.status(), "gathering feature values");
  return *r;
}

Result<std::shared_ptr<arrow::Array>> ToEmbedding(const std::shared_ptr<arrow::Array>& column, const DataType& type) {
  const int32_t dim = type.dim;
  auto out_type = arrow::fixed_size_list(arrow::field("item", arrow::float32()), dim);
  if (column->type()->Equals(*out_type) && type.quantization == Quantization::kNone) return column;
  if (column->type_id() != arrow::Type::LIST && column->type_id() != arrow::Type::FIXED_SIZE_LIST)
    return Status::Internal("embedding column of type " + column->type()->ToString());
  std::shared_ptr<arrow::Array> values = column->type_id() == arrow::Type::LIST
                                             ? static_cast<const arrow::ListArray&>(*column).values()
                                             : static_cast<const arrow::FixedSizeListArray&>(*column).values();
  STRATA_ASSIGN_OR_RETURN(auto floats_array, ToOutputArray(values, DataType::Of(TypeId::kFloat32)));
  const auto& floats = static_cast<const arrow::FloatArray&>(*floats_array);
  arrow::FixedSizeListBuilder builder(arrow::default_memory_pool(), std::make_shared<arrow::FloatBuilder>(), out_type);
  auto* vb = static_cast<arrow::FloatBuilder*>(builder.value_builder());
  STRATA_RETURN_NOT_OK(FromArrow(vb->Reserve(column->length() * dim), "building embeddings"));
  std::vector<float> x(dim);
  std::vector<int8_t> q(dim);
  for (int64_t i = 0; i < column->length(); ++i) {
    bool ok = column->IsValid(i);
    int64_t start = 0;
    if (ok) {
      start = column->type_id() == arrow::Type::LIST ? static_cast<const arrow::ListArray&>(*column).value_offset(i)
                                                     : static_cast<const arrow::FixedSizeListArray&>(*column).value_offset(i);
      const int64_t len = column->type_id() == arrow::Type::LIST
                              ? static_cast<const arrow::ListArray&>(*column).value_length(i)
                              : dim;
      ok = len == dim;
      for (int32_t j = 0; ok && j < dim; ++j) ok = floats.IsValid(start + j);
    }
    if (!ok) {
      STRATA_RETURN_NOT_OK(FromArrow(builder.AppendNull(), "building embeddings"));
      continue;
    }
    for (int32_t j = 0; j < dim; ++j) x[j] = floats.Value(start + j);
    switch (type.quantization) {
      case Quantization::kNone: break;
      case Quantization::kFloat16:
        for (float& f : x) f = HalfToFloat(FloatToHalf(f));
        break;
      case Quantization::kInt8: {
        const float scale = QuantizeInt8(x.data(), dim, q.data());
        for (int32_t j = 0; j < dim; ++j) x[j] = DequantizeInt8(q[j], scale);
        break;
      }
    }
    STRATA_RETURN_NOT_OK(FromArrow(builder.Append(), "building embeddings"));
    STRATA_RETURN_NOT_OK(FromArrow(vb->AppendValues(x.data(), dim), "building embeddings"));
  }
  std::shared_ptr<arrow::Array> out;
  STRATA_RETURN_NOT_OK(FromArrow(builder.Finish(&out), "building embeddings"));
  return out;
}

}  // namespace

Result<std::shared_ptr<arrow::Array>> ToOutputArray(const std::shared_ptr<arrow::Array>& column, const DataType& type) {
  if (type.id == TypeId::kVector) return ToEmbedding(column, type);
  const auto want = ArrowTypeOf(type);
  if (column->type()->Equals(*want)) return column;
  auto r = arrow::compute::Cast(*column, want);
  if (!r.ok()) return FromArrow(r.status(), "converting a feature column");
  return *r;
}

Result<std::shared_ptr<arrow::Array>> GatherRows(const std::shared_ptr<arrow::Array>& column,
                                                 const std::vector<int64_t>& rows, const DataType& type) {
  STRATA_ASSIGN_OR_RETURN(auto indices, IndexArray(rows));
  STRATA_ASSIGN_OR_RETURN(auto taken, Take(column, *indices));
  return ToOutputArray(taken, type);
}

Result<std::shared_ptr<arrow::Array>> GatherLists(const std::shared_ptr<arrow::Array>& column,
                                                  const std::vector<int64_t>& flat, const std::vector<int32_t>& offsets,
                                                  const DataType& type) {
  STRATA_ASSIGN_OR_RETURN(auto indices, IndexArray(flat));
  STRATA_ASSIGN_OR_RETURN(auto taken, Take(column, *indices));
  STRATA_ASSIGN_OR_RETURN(auto values, ToOutputArray(taken, type));
  const int64_t n = static_cast<int64_t>(offsets.size()) - 1;
  auto offsets_buffer = arrow::AllocateBuffer(static_cast<int64_t>(offsets.size()) * 4);
  if (!offsets_buffer.ok()) return FromArrow(offsets_buffer.status(), "allocating list offsets");
  std::memcpy((*offsets_buffer)->mutable_data(), offsets.data(), offsets.size() * 4);
  int64_t nulls = 0;
  std::shared_ptr<arrow::Buffer> validity;
  for (int64_t i = 0; i < n; ++i) nulls += offsets[i] == offsets[i + 1];
  if (nulls > 0) {
    auto bitmap = arrow::AllocateEmptyBitmap(n);
    if (!bitmap.ok()) return FromArrow(bitmap.status(), "allocating list validity");
    for (int64_t i = 0; i < n; ++i)
      if (offsets[i] != offsets[i + 1]) arrow::bit_util::SetBit((*bitmap)->mutable_data(), i);
    validity = std::shared_ptr<arrow::Buffer>(std::move(*bitmap));
  }
  auto list_type = arrow::list(arrow::field("item", values->type()));
  return std::shared_ptr<arrow::Array>(std::make_shared<arrow::ListArray>(
      list_type, n, std::shared_ptr<arrow::Buffer>(std::move(*offsets_buffer)), values, validity, nulls));
}

}  // namespace strata::training
