#pragma once
// Builds output feature columns from the rows a point-in-time lookup chose: one row per
// spine row for table groups, a newest-first list of rows for sequence groups.

#include <arrow/type_fwd.h>

#include <memory>
#include <vector>

#include "strata/core/data_type.h"
#include "strata/core/status.h"

namespace strata::training {

// A column as read from an offline table, in the feature's output type (ArrowTypeOf):
// widened numbers are cast; embeddings become fixed_size_list<float32, D>, quantized and
// dequantized as the online store holds them, so training sees what serving serves.
Result<std::shared_ptr<arrow::Array>> ToOutputArray(const std::shared_ptr<arrow::Array>& column, const DataType& type);

// Output row i = column[rows[i]], or null where rows[i] < 0.
Result<std::shared_ptr<arrow::Array>> GatherRows(const std::shared_ptr<arrow::Array>& column,
                                                 const std::vector<int64_t>& rows, const DataType& type);

// Output row i = the list column[flat[offsets[i]]], ..., column[flat[offsets[i+1]-1]], or
// null when that is empty (rule 5: nothing visible is null, not an empty list).
Result<std::shared_ptr<arrow::Array>> GatherLists(const std::shared_ptr<arrow::Array>& column,
                                                  const std::vector<int64_t>& flat, const std::vector<int32_t>& offsets,
                                                  const DataType& type);

}  // namespace strata::training
