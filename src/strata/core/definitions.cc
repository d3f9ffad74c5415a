#include "strata/core/definitions.h"

namespace strata {

const char* KeyTypeName(KeyType t) { return t == KeyType::kInt64 ? "int64" : "string"; }
const char* GroupKindName(GroupKind k) { return k == GroupKind::kTable ? "table" : "sequence"; }

const FeatureDef* FeatureGroupDef::FindFeature(std::string_view feature) const {
  for (const auto& f : features)
    if (f.name == feature) return &f;
  return nullptr;
}

const EntityDef* RepoDefinition::FindEntity(std::string_view entity) const {
  for (const auto& e : entities)
    if (e.name == entity) return &e;
  return nullptr;
}

const FeatureGroupDef* RepoDefinition::FindGroup(std::string_view group) const {
  for (const auto& g : groups)
    if (g.name == group) return &g;
  return nullptr;
}

}  // namespace strata
