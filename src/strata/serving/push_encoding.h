#pragma once
// Rows in a Push request's form (the inverse of push_decoding.h), for C++ writers that go
// through a server: a remote stream consumer (RemoteStreamSink).

#include <span>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/store/feature_repository.h"
#include "strata/v1/feature_service.pb.h"

namespace strata::serving {

// Appends `rows` of `group` to `out` (its group is set); null features are left out.
Status EncodePush(const EntityDef& entity, const FeatureGroupDef& group, std::span<const FeatureRow> rows,
                  v1::PushRequest* out);

}  // namespace strata::serving
