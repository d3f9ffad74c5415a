#include "strata/core/schema_evolution.h"

namespace strata {

namespace {

std::string OptDuration(const std::optional<int64_t>& d) { return d ? FormatDuration(*d) : "none"; }

std::string Describe(const FeatureGroupDef& g) {
  std::string s = std::string(GroupKindName(g.kind)) + " on " + g.entity + ", " + std::to_string(g.features.size()) + " features";
  if (g.ttl) s += ", ttl " + FormatDuration(*g.ttl);
  if (g.kind == GroupKind::kSequence) s += ", max_length " + std::to_string(g.max_length) + ", retention " + OptDuration(g.retention);
  return s;
}

void PlanFeatures(const FeatureGroupDef& old_g, FeatureGroupDef* new_g, std::vector<std::string>* changes,
                  std::vector<std::string>* refusals) {
  new_g->next_feature_id = old_g.next_feature_id;
  for (auto& f : new_g->features) {
    const FeatureDef* old_f = old_g.FindFeature(f.name);
    const std::string where = "group " + new_g->name + ", feature " + f.name;
    if (!old_f) {
      f.id = new_g->next_feature_id++;
      changes->push_back("add feature " + new_g->name + "." + f.name + " " + f.type.ToString());
      continue;
    }
    f.id = old_f->id;
    if (old_f->type == f.type) continue;
    if (!CanEvolve(old_f->type, f.type)) {
      refusals->push_back(where + ": type " + old_f->type.ToString() + " -> " + f.type.ToString() +
                          " is not allowed (rule: only int32->int64 and float32->float64 widen; "
                          "add a new feature instead)");
    } else if (old_f->type.quantization != f.type.quantization && old_f->type.id == TypeId::kVector) {
      changes->push_back("change quantization of " + new_g->name + "." + f.name + ": " +
                         QuantizationName(old_f->type.quantization) + " -> " + QuantizationName(f.type.quantization) +
                         " (new writes only)");
    } else {
      changes->push_back("widen " + new_g->name + "." + f.name + ": " + old_f->type.ToString() + " -> " + f.type.ToString());
    }
  }
  for (const auto& old_f : old_g.features)
    if (!new_g->FindFeature(old_f.name))
      changes->push_back("drop feature " + new_g->name + "." + old_f.name + " (its id is retired; stored values are no longer read)");
}

}  // namespace

Result<ApplyPlan> PlanApply(const RepoDefinition* registered, const RepoDefinition& proposed) {
  ApplyPlan plan;
  plan.result = proposed;
  RepoDefinition& out = plan.result;
  std::vector<std::string>& changes = plan.changes;
  std::vector<std::string> refusals;
  const RepoDefinition empty;
  const RepoDefinition& old = registered ? *registered : empty;
  out.next_group_id = registered ? registered->next_group_id : 1;

  if (registered && registered->project != proposed.project)
    changes.push_back("rename project " + registered->project + " -> " + proposed.project);
  if (registered && registered->online != proposed.online) {
    const auto& a = registered->online;
    const auto& b = proposed.online;
    if (a.path != b.path) changes.push_back("change online.path: " + a.path + " -> " + b.path + " (data is not moved)");
    if (a.sync != b.sync) changes.push_back(std::string("change online.sync: ") + (a.sync ? "true" : "false") + " -> " + (b.sync ? "true" : "false"));
    if (a.block_cache_mb != b.block_cache_mb)
      changes.push_back("change online.block_cache_mb: " + std::to_string(a.block_cache_mb) + " -> " + std::to_string(b.block_cache_mb));
    if (a.latest_cache_mb != b.latest_cache_mb)
      changes.push_back("change online.latest_cache_mb: " + std::to_string(a.latest_cache_mb) + " -> " +
                        std::to_string(b.latest_cache_mb));
    if (a.sequence_cache_mb != b.sequence_cache_mb)
      changes.push_back("change online.sequence_cache_mb: " + std::to_string(a.sequence_cache_mb) + " -> " +
                        std::to_string(b.sequence_cache_mb));
    if (a.bulk_load_rows != b.bulk_load_rows)
      changes.push_back("change online.bulk_load_rows: " + std::to_string(a.bulk_load_rows) + " -> " +
                        std::to_string(b.bulk_load_rows));
    if (a.row_cache_mb != b.row_cache_mb)
      changes.push_back("change online.row_cache_mb: " + std::to_string(a.row_cache_mb) + " -> " + std::to_string(b.row_cache_mb));
  }
  if (registered && registered->serving.log_features != proposed.serving.log_features)
    changes.push_back(std::string("change serving.log_features: ") + (proposed.serving.log_features ? "true" : "false"));
  if (registered && registered->offline.warehouse != proposed.offline.warehouse)
    changes.push_back("change offline.warehouse: " + registered->offline.warehouse + " -> " + proposed.offline.warehouse +
                      " (tables are not moved)");
  if (registered && registered->offline.catalog != proposed.offline.catalog)
    changes.push_back("change offline.catalog: " + registered->offline.catalog + " -> " + proposed.offline.catalog);
  if (registered && registered->offline.commit_rows != proposed.offline.commit_rows)
    changes.push_back("change offline.commit_rows: " + std::to_string(registered->offline.commit_rows) + " -> " +
                      std::to_string(proposed.offline.commit_rows));
  for (const auto& e : out.entities) {
    const EntityDef* old_e = old.FindEntity(e.name);
    if (!old_e) {
      changes.push_back("add entity " + e.name + " (key " + e.key + " " + KeyTypeName(e.key_type) + ")");
    } else if (old_e->key != e.key || old_e->key_type != e.key_type) {
      refusals.push_back("entity " + e.name + ": key " + old_e->key + " " + KeyTypeName(old_e->key_type) + " -> " + e.key +
                         " " + KeyTypeName(e.key_type) + " is not allowed (rule: an entity's key never changes; "
                         "declare a new entity instead)");
    }
  }
  for (const auto& e : old.entities)
    if (!out.FindEntity(e.name)) changes.push_back("drop entity " + e.name);

  for (auto& g : out.groups) {
    const FeatureGroupDef* old_g = old.FindGroup(g.name);
    if (!old_g) {
      g.id = out.next_group_id++;
      g.next_feature_id = 1;
      for (auto& f : g.features) f.id = g.next_feature_id++;
      changes.push_back("add group " + g.name + " (" + Describe(g) + ")");
      continue;
    }
    g.id = old_g->id;
    const std::string where = "group " + g.name;
    if (old_g->entity != g.entity) {
      refusals.push_back(where + ": entity " + old_g->entity + " -> " + g.entity +
                         " is not allowed (rule: a group's entity never changes; create a new group)");
    } else {
      const EntityDef* old_e = old.FindEntity(old_g->entity);
      const EntityDef* new_e = out.FindEntity(g.entity);
      if (old_e && new_e && (old_e->key != new_e->key || old_e->key_type != new_e->key_type))
        refusals.push_back(where + ": its entity key changed (rule: entity keys never change)");
    }
    if (old_g->kind != g.kind)
      refusals.push_back(where + ": kind " + GroupKindName(old_g->kind) + " -> " + GroupKindName(g.kind) +
                         " is not allowed (rule: a group's kind never changes; create a new group)");
    if (old_g->event_time != g.event_time)
      changes.push_back("rename event_time column of " + g.name + ": " + old_g->event_time + " -> " + g.event_time);
    if (old_g->ttl != g.ttl) changes.push_back("change ttl of " + g.name + ": " + OptDuration(old_g->ttl) + " -> " + OptDuration(g.ttl));
    if (old_g->history != g.history)
      changes.push_back("change history of " + g.name + ": " + FormatDuration(old_g->history) + " -> " + FormatDuration(g.history));
    if (old_g->max_length != g.max_length && g.kind == old_g->kind)
      changes.push_back("change max_length of " + g.name + ": " + std::to_string(old_g->max_length) + " -> " +
                        std::to_string(g.max_length) + (g.max_length < old_g->max_length ? " (sequences trimmed on next write)" : ""));
    if (old_g->retention != g.retention)
      changes.push_back("change retention of " + g.name + ": " + OptDuration(old_g->retention) + " -> " + OptDuration(g.retention));
    PlanFeatures(*old_g, &g, &changes, &refusals);
  }
  for (const auto& g : old.groups)
    if (!out.FindGroup(g.name))
      changes.push_back("drop group " + g.name + " (its id is retired; stored rows are kept but no longer read)");

  if (!refusals.empty()) {
    std::string msg = "strata.yaml has changes that would break stored data; nothing was changed:";
    for (const auto& r : refusals) msg += "\n  - " + r;
    return Status::Incompatible(msg);
  }
  return plan;
}

}  // namespace strata
