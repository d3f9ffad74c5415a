#include "strata/core/definitions_json.h"

#include <nlohmann/json.hpp>

namespace strata {

using nlohmann::json;

std::string DefinitionToJson(const RepoDefinition& repo) {
  json j;
  j["format_version"] = 1;
  j["project"] = repo.project;
  j["online"] = {{"backend", repo.online.backend},
                 {"path", repo.online.path},
                 {"sync", repo.online.sync},
                 {"block_cache_mb", repo.online.block_cache_mb},
                 {"row_cache_mb", repo.online.row_cache_mb},
                 {"latest_cache_mb", repo.online.latest_cache_mb},
                 {"sequence_cache_mb", repo.online.sequence_cache_mb},
                 {"bulk_load_rows", repo.online.bulk_load_rows}};
  j["offline"] = {{"warehouse", repo.offline.warehouse},
                  {"catalog", repo.offline.catalog},
                  {"commit_rows", repo.offline.commit_rows}};
  j["serving"] = {{"log_features", repo.serving.log_features}};
  j["next_group_id"] = repo.next_group_id;
  j["entities"] = json::array();
  for (const auto& e : repo.entities)
    j["entities"].push_back({{"name", e.name}, {"key", e.key}, {"key_type", KeyTypeName(e.key_type)}});
  j["groups"] = json::array();
  for (const auto& g : repo.groups) {
    json jg = {{"name", g.name},         {"id", g.id},
               {"entity", g.entity},     {"kind", GroupKindName(g.kind)},
               {"event_time", g.event_time}, {"history", g.history},
               {"max_length", g.max_length}, {"next_feature_id", g.next_feature_id}};
    if (g.ttl) jg["ttl"] = *g.ttl;
    if (g.retention) jg["retention"] = *g.retention;
    jg["features"] = json::array();
    for (const auto& f : g.features)
      jg["features"].push_back({{"name", f.name}, {"id", f.id}, {"type", f.type.ToString()},
                                {"quantization", QuantizationName(f.type.quantization)}});
    j["groups"].push_back(std::move(jg));
  }
  return j.dump(2);
}

Result<RepoDefinition> DefinitionFromJson(const std::string& text) {
  try {
    const json j = json::parse(text);
    RepoDefinition repo;
    repo.project = j.at("project").get<std::string>();
    repo.online.backend = j.at("online").at("backend").get<std::string>();
    repo.online.path = j.at("online").at("path").get<std::string>();
    repo.online.sync = j.at("online").value("sync", true);
    repo.online.block_cache_mb = j.at("online").value("block_cache_mb", int64_t{512});
    repo.online.row_cache_mb = j.at("online").value("row_cache_mb", int64_t{256});
    repo.online.latest_cache_mb = j.at("online").value("latest_cache_mb", int64_t{256});
    repo.online.sequence_cache_mb = j.at("online").value("sequence_cache_mb", int64_t{256});
    repo.online.bulk_load_rows = j.at("online").value("bulk_load_rows", int64_t{100'000});
    repo.offline.warehouse = j.at("offline").at("warehouse").get<std::string>();
    repo.offline.catalog = j.at("offline").value("catalog", std::string(".strata/catalog.db"));
    repo.offline.commit_rows = j.at("offline").value("commit_rows", int64_t{1'000'000});
    if (j.contains("serving")) repo.serving.log_features = j.at("serving").value("log_features", false);
    repo.next_group_id = j.at("next_group_id").get<uint32_t>();
    for (const auto& je : j.at("entities")) {
      EntityDef e;
      e.name = je.at("name").get<std::string>();
      e.key = je.at("key").get<std::string>();
      e.key_type = je.at("key_type").get<std::string>() == "string" ? KeyType::kString : KeyType::kInt64;
      repo.entities.push_back(std::move(e));
    }
    for (const auto& jg : j.at("groups")) {
      FeatureGroupDef g;
      g.name = jg.at("name").get<std::string>();
      g.id = jg.at("id").get<uint32_t>();
      g.entity = jg.at("entity").get<std::string>();
      g.kind = jg.at("kind").get<std::string>() == "sequence" ? GroupKind::kSequence : GroupKind::kTable;
      g.event_time = jg.at("event_time").get<std::string>();
      g.history = jg.at("history").get<int64_t>();
      g.max_length = jg.at("max_length").get<int32_t>();
      g.next_feature_id = jg.at("next_feature_id").get<uint32_t>();
      if (jg.contains("ttl")) g.ttl = jg.at("ttl").get<int64_t>();
      if (jg.contains("retention")) g.retention = jg.at("retention").get<int64_t>();
      for (const auto& jf : jg.at("features")) {
        FeatureDef f;
        f.name = jf.at("name").get<std::string>();
        f.id = jf.at("id").get<uint32_t>();
        STRATA_ASSIGN_OR_RETURN(f.type, DataType::Parse(jf.at("type").get<std::string>()));
        STRATA_ASSIGN_OR_RETURN(f.type.quantization, ParseQuantization(jf.value("quantization", "none")));
        g.features.push_back(std::move(f));
      }
      repo.groups.push_back(std::move(g));
    }
    return repo;
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("registry is not valid: ") + e.what());
  }
}

}  // namespace strata
