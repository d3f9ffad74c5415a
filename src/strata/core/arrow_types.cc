#include "strata/core/arrow_types.h"

#include <arrow/device.h>
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
    case TypeId::kTimestamp: {
      // Built once: arrow::timestamp() allocates a new type (and its zone string) per call,
      // and reads ask for it once per column.
      static const std::shared_ptr<arrow::DataType> kTimestampUtc = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
      return kTimestampUtc;
    }
    case TypeId::kListInt64: return arrow::list(arrow::int64());
    case TypeId::kListFloat32: return arrow::list(arrow::float32());
    case TypeId::kListString: return arrow::list(arrow::utf8());
    case TypeId::kVector: return arrow::fixed_size_list(arrow::float32(), type.dim);
  }
  return arrow::null();
}

void InitArrowSingletons() {
  (void)arrow::default_cpu_memory_manager();
  for (TypeId id : {TypeId::kBool, TypeId::kInt32, TypeId::kInt64, TypeId::kFloat32, TypeId::kFloat64, TypeId::kString,
                    TypeId::kBytes, TypeId::kTimestamp, TypeId::kListInt64, TypeId::kListFloat32, TypeId::kListString})
    (void)ArrowTypeOf(DataType::Of(id));
  (void)arrow::null();
}

std::shared_ptr<arrow::DataType> ArrowTypeOf(KeyType key_type) {
  return key_type == KeyType::kInt64 ? arrow::int64() : arrow::utf8();
}

}  // namespace strata
