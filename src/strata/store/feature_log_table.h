#pragma once
// The definitions of `_feature_log`, the offline table the feature server appends served
// features to (see serving/feature_logger.h). It lives beside the feature groups' tables, so
// that scan, snapshots, compact, expire, pyiceberg and Spark read it like any other; names
// starting with '_' are reserved for such tables.

#include "strata/core/definitions.h"

namespace strata {

inline constexpr char kFeatureLogTable[] = "_feature_log";

// Entity "_request" keyed by request_id (string).
const EntityDef& FeatureLogEntity();
// Columns: request_id, request_time, write_seq, entity, entity_key, features (JSON).
const FeatureGroupDef& FeatureLogGroup();

}  // namespace strata
