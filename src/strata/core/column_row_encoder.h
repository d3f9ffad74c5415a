#pragma once
// Encodes rows held in typed Arrow columns in the stored row form (row_codec.h): byte for byte
// what EncodeRow writes for the same values, without building a Value per cell. The columnar
// ingest path uses it; scalar feature types only (ColumnsEncodable).

#include <arrow/type_fwd.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "strata/core/definitions.h"

namespace strata {

// True when every feature has a scalar type (bool, ints, floats, string, bytes, timestamp).
bool ColumnsEncodable(const std::vector<FeatureDef>& features);

// Appends row i of `columns` (aligned with `features`, each of ArrowTypeOf(feature type) or the
// same physical layout; nulls are absent fields) to (*rows)[i], for every row.
// Requires ColumnsEncodable(features) and rows->size() == the columns' length.
void EncodeRowsFromColumns(const std::vector<FeatureDef>& features,
                           std::span<const std::shared_ptr<arrow::Array>> columns, std::vector<std::string>* rows);

}  // namespace strata
