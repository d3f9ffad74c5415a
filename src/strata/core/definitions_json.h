#pragma once
// The registry's on-disk form of RepoDefinition (JSON, with ids).

#include <string>

#include "strata/core/definitions.h"
#include "strata/core/status.h"

namespace strata {

std::string DefinitionToJson(const RepoDefinition& repo);
Result<RepoDefinition> DefinitionFromJson(const std::string& text);

}  // namespace strata
