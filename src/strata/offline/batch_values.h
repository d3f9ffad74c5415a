#pragma once
// Rows of an offline table's record batch back as typed values (for replaying offline rows
// into the online store).

#include <arrow/type_fwd.h>

#include <vector>

#include "strata/core/data_type.h"
#include "strata/core/value.h"

namespace strata {

// The values of `array` (an offline column of `type`), nulls as monostate.
std::vector<Value> ColumnValues(const arrow::Array& array, const DataType& type);

}  // namespace strata
