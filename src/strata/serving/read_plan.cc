#include "strata/serving/read_plan.h"

#include <algorithm>

#include "strata/training/feature_refs.h"

namespace strata::serving {

namespace {

std::string EntityNames(const RepoDefinition& d) {
  std::string names;
  for (const auto& e : d.entities) names += (names.empty() ? "" : ", ") + e.name;
  return names;
}

Status DecodeEntity(const RepoDefinition& definition, const v1::EntityKeys& in, PlannedEntity* out) {
  out->entity = definition.FindEntity(in.entity());
  if (!out->entity)
    return Status::InvalidArgument("unknown entity '" + in.entity() + "'; entities: " + EntityNames(definition));
  const bool int64_key = out->entity->key_type == KeyType::kInt64;
  if (int64_key && in.string_keys_size() > 0)
    return Status::InvalidArgument("entity " + in.entity() + " has int64 keys (" + out->entity->key +
                                   "); send them in int64_keys, not string_keys");
  if (!int64_key && in.int64_keys_size() > 0)
    return Status::InvalidArgument("entity " + in.entity() + " has string keys (" + out->entity->key +
                                   "); send them in string_keys, not int64_keys");
  if (int64_key) {
    out->keys.reserve(in.int64_keys_size());
    for (int64_t k : in.int64_keys()) out->keys.emplace_back(k);
  } else {
    out->keys.reserve(in.string_keys_size());
    for (const auto& k : in.string_keys()) out->keys.emplace_back(k);
  }
  return Status::OK();
}

std::string ServedType(const FeatureGroupDef& group, const FeatureDef& feature) {
  const std::string t = feature.type.ToString();
  return group.kind == GroupKind::kSequence ? "list<" + t + ">" : t;
}

}  // namespace

Result<ReadPlan> DecodeGetFeatures(const RepoDefinition& definition, const v1::GetFeaturesRequest& request,
                                   const RequestLimits& limits) {
  ReadPlan plan;
  if (request.entities_size() == 0) return Status::InvalidArgument("no entities: send the keys to read in `entities`");
  if (request.features_size() == 0)
    return Status::InvalidArgument("no features: send refs like \"group:feature\", \"group:*\" or \"group:feature@N\"");
  if (request.features_size() > limits.max_features)
    return Status::InvalidArgument("too many features: " + std::to_string(request.features_size()) +
                                   " refs, at most " + std::to_string(limits.max_features) + " per request");
  if (!v1::EventTimes_IsValid(request.event_times()))
    return Status::InvalidArgument("unknown event_times " + std::to_string(request.event_times()) +
                                   ": EVENT_TIMES_PER_COLUMN (0), EVENT_TIMES_PER_GROUP (1) or EVENT_TIMES_NONE (2)");
  if (!v1::LogMode_IsValid(request.log()))
    return Status::InvalidArgument("unknown log " + std::to_string(request.log()) +
                                   ": LOG_DEFAULT (0), LOG_ON (1) or LOG_OFF (2)");
  if (request.request_id().size() > kMaxRequestIdBytes)
    return Status::InvalidArgument("request_id of " + std::to_string(request.request_id().size()) + " bytes: at most " +
                                   std::to_string(kMaxRequestIdBytes) + " (it is logged with every key served)");
  for (const auto& e : request.entities()) {
    plan.total_keys += std::max(e.int64_keys_size(), e.string_keys_size());
    if (plan.total_keys > limits.max_keys)
      return Status::InvalidArgument("oversized batch: more than " + std::to_string(limits.max_keys) +
                                     " keys in one request; split it (or raise --max-keys)");
  }
  for (const auto& e : request.entities()) {
    PlannedEntity entity;
    STRATA_RETURN_NOT_OK(DecodeEntity(definition, e, &entity));
    for (const auto& seen : plan.entities)
      if (seen.entity == entity.entity)
        return Status::InvalidArgument("entity " + e.entity() + " is listed twice; send all its keys in one list");
    plan.entities.push_back(std::move(entity));
  }
  std::vector<std::string> refs(request.features().begin(), request.features().end());
  auto groups = training::ResolveFeatureRefs(definition, refs);
  if (!groups.ok()) return Status::InvalidArgument(groups.status().message());
  for (const auto& g : *groups) {
    auto it = std::find_if(plan.entities.begin(), plan.entities.end(),
                           [&](const PlannedEntity& e) { return e.entity == g.entity; });
    if (it == plan.entities.end())
      return Status::InvalidArgument("features of group " + g.group->name + " need keys of entity " + g.entity->name +
                                     ", which the request does not send");
    // A sequence group read once with the largest N; each column keeps its own N.
    PlannedRead read{g.group, static_cast<size_t>(it - plan.entities.begin()), g.max_last_n(), {}};
    for (const auto& f : g.features) {
      std::string name = g.group->name + ":" + f.feature->name;
      if (g.group->kind == GroupKind::kSequence) {
        name += "@" + std::to_string(f.last_n);
        if (f.feature->type.is_list() || f.feature->type.id == TypeId::kVector)
          return Status::InvalidArgument("feature " + name + ": sequences of list or vector features are not served by API v1");
      }
      read.columns.push_back({f.feature, std::move(name), ServedType(*g.group, *f.feature), f.last_n});
    }
    plan.reads.push_back(std::move(read));
  }
  if (request.has_as_of_micros()) plan.as_of = request.as_of_micros();
  return plan;
}

}  // namespace strata::serving
