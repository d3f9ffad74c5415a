#include "strata/store/feature_log_table.h"

namespace strata {

const EntityDef& FeatureLogEntity() {
  static const EntityDef entity{"_request", "request_id", KeyType::kString};
  return entity;
}

const FeatureGroupDef& FeatureLogGroup() {
  static const FeatureGroupDef group = [] {
    FeatureGroupDef g;
    g.name = kFeatureLogTable;
    g.entity = FeatureLogEntity().name;
    g.event_time = "request_time";
    g.features = {{"entity", DataType::Of(TypeId::kString), 1},
                  {"entity_key", DataType::Of(TypeId::kString), 2},
                  {"features", DataType::Of(TypeId::kString), 3}};
    g.next_feature_id = 4;
    return g;
  }();
  return group;
}

}  // namespace strata
