#pragma once
// Arrow columns read from the online store -> the typed, columnar FeatureColumn of the API.

#include <arrow/type_fwd.h>

#include <vector>

#include "strata/core/status.h"
#include "strata/online/online_store.h"
#include "strata/v1/feature_service.pb.h"

namespace strata::serving {

// Fills `out`'s values, statuses and (with `event_times`) event times from `array` (one row per
// key) and the rows' `info`. `last_n` > 0 keeps the first (newest) N elements of each list.
Status EncodeColumn(const arrow::Array& array, const std::vector<RowInfo>& info, int32_t last_n, bool event_times,
                    v1::FeatureColumn* out);

// The rows' event times (0 where missing), as EVENT_TIMES_PER_GROUP sends them.
void EncodeEventTimes(const std::vector<RowInfo>& info, google::protobuf::RepeatedField<int64_t>* out);

}  // namespace strata::serving
