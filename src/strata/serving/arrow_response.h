#pragma once
// A GetFeatures response as an Arrow IPC stream (HTTP `Accept: application/vnd.apache.arrow.stream`):
// what a Python or Java client reads with its Arrow library in microseconds, where the proto3
// JSON mapping costs milliseconds per hundred keys on both ends.
//
// The stream holds one record batch of one row. Per FeatureColumn of the response, three
// fields: "<name>" (list<T>: the column's values, one per key, null unless PRESENT; T is the
// feature's Arrow type, e.g. list<int64> for a sequence, fixed_size_list<float32, D> for an
// embedding), "<name>#status" (list<int8>: the FeatureStatus numbers) and, when the column
// carries event times (EVENT_TIMES_PER_COLUMN), "<name>#event_time" (list<timestamp[us, UTC]>;
// null when missing). Per GroupEventTimes (EVENT_TIMES_PER_GROUP), "<group>#event_time" (the
// same, no ':' in the name). Field metadata: entity, type. Schema metadata: request_id,
// as_of_micros.

#include <string>

#include "strata/core/status.h"
#include "strata/v1/feature_service.pb.h"

namespace strata::serving {

inline constexpr const char* kArrowStreamMediaType = "application/vnd.apache.arrow.stream";

Result<std::string> EncodeArrowResponse(const v1::GetFeaturesResponse& response);

}  // namespace strata::serving
