#pragma once
// Decoding a Push request into validated rows of one feature group. A request with any bad
// row is refused as a whole (InvalidArgument naming the row, the feature and the problem),
// so a client can fix it and retry without having written half of it.

#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/store/feature_repository.h"
#include "strata/v1/feature_service.pb.h"

namespace strata::serving {

struct DecodedPush {
  const FeatureGroupDef* group = nullptr;
  std::vector<FeatureRow> rows;
};

// `zero_time_is_unset`: an event_time_micros of 0 is proto3's "not set", refused as missing
// (Push); false for rows a stream consumer decoded, whose event times are always set (StreamWrite).
Result<DecodedPush> DecodePush(const RepoDefinition& definition, const v1::PushRequest& request, int64_t max_rows,
                               bool zero_time_is_unset = true);

}  // namespace strata::serving
