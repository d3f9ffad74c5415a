#pragma once
// Embeddings (fixed_size_list<float32, D>) in Parquet files Strata writes for users: training
// sets and scans.
//
// The Arrow release Strata builds against (pyarrow 25's) cannot read back a Parquet column of
// fixed-size lists that holds a null (apache/arrow#35692: "Expected all lists to be of size=D"),
// and training sets have null embeddings wherever an entity has none. So such columns are
// written as list<float32> and their field carries the dimension as metadata, which the loader
// and strata.torch read; any Parquet reader reads the column as a list of floats.

#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>

#include "strata/core/status.h"

namespace strata {

// Field metadata key holding an embedding column's dimension D, in decimal.
inline constexpr char kVectorDimMetadataKey[] = "strata.vector_dim";

// `schema` with every fixed_size_list<float32, D> field turned into list<float32> carrying D
// (kVectorDimMetadataKey); other fields unchanged.
std::shared_ptr<arrow::Schema> ParquetVectorSchema(const std::shared_ptr<arrow::Schema>& schema);

// `batch` in `parquet_schema` (from ParquetVectorSchema of its schema): its fixed-size list
// columns as lists over the same values, without copying them.
Result<std::shared_ptr<arrow::RecordBatch>> ToParquetVectorBatch(const arrow::RecordBatch& batch,
                                                                 const std::shared_ptr<arrow::Schema>& parquet_schema);

// The dimension `field` declares through kVectorDimMetadataKey, or 0 when it declares none.
int32_t DeclaredVectorDim(const arrow::Field& field);

}  // namespace strata
