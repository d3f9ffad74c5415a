#include "strata/training/feature_refs.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace strata::training {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string GroupNames(const RepoDefinition& definition) {
  std::string names;
  for (const auto& g : definition.groups) names += (names.empty() ? "" : ", ") + g.name;
  return names.empty() ? "(none: run `strata apply`)" : names;
}

}  // namespace

int32_t GroupRequest::max_last_n() const {
  int32_t n = 0;
  for (const auto& f : features) n = std::max(n, f.last_n);
  return n;
}

Result<std::vector<GroupRequest>> ResolveFeatureRefs(const RepoDefinition& definition,
                                                     const std::vector<std::string>& refs) {
  std::vector<GroupRequest> out;
  std::set<std::string> columns;
  if (refs.empty()) return Status::InvalidArgument("no features asked for: pass refs like \"group:feature,group:*\"");
  for (const std::string& raw : refs) {
    const std::string_view ref = Trim(raw);
    const std::string quoted = "feature ref '" + std::string(ref) + "'";
    const auto colon = ref.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == ref.size())
      return Status::InvalidArgument(quoted + ": expected group:feature, group:* or group:feature@N");
    const std::string group_name(ref.substr(0, colon));
    std::string_view feature_part = ref.substr(colon + 1);
    int32_t last_n = 0;
    if (const auto at = feature_part.find('@'); at != std::string_view::npos) {
      const std::string_view n = feature_part.substr(at + 1);
      auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), last_n);
      if (ec != std::errc() || p != n.data() + n.size() || last_n < 1)
        return Status::InvalidArgument(quoted + ": N in @N must be a positive integer");
      feature_part = feature_part.substr(0, at);
    }
    const FeatureGroupDef* group = definition.FindGroup(group_name);
    if (!group)
      return Status::NotFound(quoted + ": no feature group '" + group_name + "'; groups: " + GroupNames(definition));
    const EntityDef* entity = definition.FindEntity(group->entity);
    if (!entity) return Status::Internal("group " + group->name + " has no entity " + group->entity);
    if (group->kind == GroupKind::kTable && last_n > 0)
      return Status::InvalidArgument(quoted + ": @N applies to sequence groups; " + group->name + " is a table group");
    if (group->kind == GroupKind::kSequence) {
      if (last_n == 0) last_n = group->max_length;
      if (last_n > group->max_length)
        return Status::InvalidArgument(quoted + ": N=" + std::to_string(last_n) + " exceeds the max_length " +
                                       std::to_string(group->max_length) + " of sequence group " + group->name);
    }
    std::vector<const FeatureDef*> features;
    if (feature_part == "*") {
      for (const auto& f : group->features) features.push_back(&f);
    } else {
      const FeatureDef* f = group->FindFeature(feature_part);
      if (!f) {
        std::string names;
        for (const auto& g : group->features) names += (names.empty() ? "" : ", ") + g.name;
        return Status::NotFound(quoted + ": group " + group->name + " has no feature '" + std::string(feature_part) +
                                "'; its features: " + names);
      }
      features.push_back(f);
    }
    auto it = std::find_if(out.begin(), out.end(), [&](const GroupRequest& r) { return r.group == group; });
    if (it == out.end()) {
      out.push_back({group, entity, {}});
      it = out.end() - 1;
    }
    for (const FeatureDef* f : features) {
      std::string column = group->name + "__" + f->name;
      if (!columns.insert(column).second)
        return Status::InvalidArgument(quoted + ": column " + column + " is asked for twice");
      it->features.push_back({f, last_n, std::move(column)});
    }
  }
  return out;
}

Result<std::vector<GroupRequest>> ResolveFeatureRefs(const RepoDefinition& definition, std::string_view refs) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= refs.size()) {
    size_t comma = refs.find(',', pos);
    if (comma == std::string_view::npos) comma = refs.size();
    if (!Trim(refs.substr(pos, comma - pos)).empty()) parts.emplace_back(refs.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return ResolveFeatureRefs(definition, parts);
}

}  // namespace strata::training
