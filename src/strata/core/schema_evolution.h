#pragma once
// `strata apply`: compares the definitions in strata.yaml with the registered ones and
// produces the evolved registry (stable ids kept, new ids for new things) and a readable plan,
// or refuses an incompatible change naming the group, the feature and the rule.

#include <string>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"

namespace strata {

struct ApplyPlan {
  RepoDefinition result;             // what the registry will hold, ids assigned
  std::vector<std::string> changes;  // one line per change; empty when nothing changes
};

// `registered` is null on the first apply. Returns kIncompatible listing every refused change.
Result<ApplyPlan> PlanApply(const RepoDefinition* registered, const RepoDefinition& proposed);

}  // namespace strata
