#pragma once
// Decoding a GetFeatures request against the repository's definitions: which keys of which
// entities, which features of which groups, at what time. Everything a client can get wrong
// is caught here with an InvalidArgument naming it; the result can be executed as is.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/core/value.h"
#include "strata/v1/feature_service.pb.h"

namespace strata::serving {

// A client's request id is copied into every row the feature log writes for the request.
inline constexpr size_t kMaxRequestIdBytes = 256;

struct RequestLimits {
  int64_t max_keys = 10'000;      // keys over all entities of one request
  int64_t max_features = 1'000;   // feature refs of one request
};

struct PlannedColumn {
  const FeatureDef* feature = nullptr;
  std::string name;  // "group:feature" or "group:feature@N"
  std::string type;  // as served: the feature's type, or list<...> for sequences
  int32_t last_n = 0;  // sequences: newest N events
};

// One batched online read: some features of one group for the keys of its entity (a request
// reads each group once).
struct PlannedRead {
  const FeatureGroupDef* group = nullptr;
  size_t entity_index = 0;  // into ReadPlan::entities
  int32_t limit = 0;        // sequences: newest N
  std::vector<PlannedColumn> columns;
};

struct PlannedEntity {
  const EntityDef* entity = nullptr;
  std::vector<Value> keys;
};

struct ReadPlan {
  std::vector<PlannedEntity> entities;
  std::vector<PlannedRead> reads;
  std::optional<int64_t> as_of;
  int64_t total_keys = 0;
};

Result<ReadPlan> DecodeGetFeatures(const RepoDefinition& definition, const v1::GetFeaturesRequest& request,
                                   const RequestLimits& limits);

}  // namespace strata::serving
