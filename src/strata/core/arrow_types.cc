#include "strata/core/arrow_types.h"

#include <arrow/type.h>

namespace strata {

std::shared_ptr<arrow::DataType> ArrowTypeOf(const DataType& type) {
  switch (type.id) {
    case TypeId::kBool: return arrow::boolean();
    case TypeId::kInt32: return arrow::int32();
    case TypeId::kInt64: return arrow::int64();
    case TypeId::kFloat32: return arrow::float32();
    case TypeId::kFloat64: return arrow::float64();
    case TypeId::kString: return arrow::utf8();
    case TypeId::kBytes: return arrow::binary();
    case TypeId::kTimestamp: return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
    case TypeId::kListInt64: return arrow::list(arrow::int64());
    case TypeId::kListFloat32: return arrow::list(arrow::float32());
    case TypeId::kListString: return arrow::list(arrow::utf8());
    case TypeId::kVector: return arrow::fixed_size_list(arrow::float32(), type.dim);
  }
  return arrow::null();
}

std::shared_ptr<arrow::DataType> ArrowTypeOf(KeyType key_type) {
  return key_type == KeyType::kInt64 ? arrow::int64() : arrow::utf8();
}

}  // namespace strata
