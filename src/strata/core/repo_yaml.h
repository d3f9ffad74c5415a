#pragma once
// Parsing and validation of strata.yaml. Every error names the file, the line and the key,
// and says what was expected.

#include <string>

#include "strata/core/definitions.h"
#include "strata/core/status.h"

namespace strata {

// `source_name` is used in messages, e.g. "strata.yaml". Ids are left 0: the registry assigns them.
Result<RepoDefinition> ParseRepoYaml(const std::string& text, const std::string& source_name);

// The commented strata.yaml that `strata init` writes; `example` adds the demo definitions.
std::string RepoYamlTemplate(const std::string& project, bool example);

}  // namespace strata
