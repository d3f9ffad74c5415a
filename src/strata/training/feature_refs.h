#pragma once
// The features a training set asks for: "group:feature", "group:*" and, for sequence groups,
// "group:feature@N" (the newest N events as of each spine row, newest first).

#include <string>
#include <string_view>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"

namespace strata::training {

struct OutputFeature {
  const FeatureDef* feature = nullptr;
  int32_t last_n = 0;   // sequence groups: how many events (1..max_length)
  std::string column;   // group__feature
};

// Everything asked of one feature group, in the order first asked.
struct GroupRequest {
  const FeatureGroupDef* group = nullptr;
  const EntityDef* entity = nullptr;
  std::vector<OutputFeature> features;
  int32_t max_last_n() const;
};

// Parses comma-separated refs against the definitions. Unknown groups or features, a bad N,
// "@N" on a table group and one output column asked twice are errors naming the ref.
Result<std::vector<GroupRequest>> ResolveFeatureRefs(const RepoDefinition& definition, std::string_view refs);
Result<std::vector<GroupRequest>> ResolveFeatureRefs(const RepoDefinition& definition,
                                                     const std::vector<std::string>& refs);

}  // namespace strata::training
