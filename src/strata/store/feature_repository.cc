#include "strata/store/feature_repository.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "strata/core/definitions_json.h"
#include "strata/core/file_io.h"
#include "strata/core/key_codec.h"
#include "strata/core/repo_yaml.h"
#include "strata/core/row_codec.h"
#include "strata/core/time.h"
#include "strata/offline/offline_store.h"
#include "strata/online/rocksdb/rocksdb_online_store.h"
#include "strata/store/feature_log_table.h"
#include "strata/store/group_writer.h"
#include "strata/store/offline_reconciler.h"

namespace strata {

namespace fs = std::filesystem;

namespace {

constexpr char kRegistryFile[] = ".strata/registry.json";

// `enforce`: hand the groups' TTL and retention to the store's compaction. `apply` opens the
// store without them, so that nothing is reclaimed under definitions not yet registered.
Result<std::unique_ptr<OnlineStore>> OpenOnline(const std::string& dir, const RepoDefinition& def, bool read_only,
                                                bool enforce = true, bool write_only = false) {
  RocksOnlineOptions o;
  o.path = FeatureRepository::ResolvePath(dir, def.online.path);
  if (!read_only) {
    std::error_code ec;
    fs::create_directories(o.path, ec);
    if (ec) return Status::IOError("cannot create the online store directory " + o.path + ": " + ec.message());
  }
  o.read_only = read_only;
  o.sync = def.online.sync;
  o.block_cache_bytes = static_cast<size_t>(def.online.block_cache_mb) << 20;
  o.row_cache_bytes = write_only ? 0 : static_cast<size_t>(def.online.row_cache_mb) << 20;
  o.cache_writes = write_only;
  o.bulk_load_rows = write_only ? static_cast<size_t>(def.online.bulk_load_rows) : 0;
  o.latest_cache_bytes = static_cast<size_t>(def.online.latest_cache_mb) << 20;
  // A process that only writes never reads a sequence back.
  o.sequence_cache_bytes = write_only ? 0 : static_cast<size_t>(def.online.sequence_cache_mb) << 20;
  STRATA_ASSIGN_OR_RETURN(auto store, OpenRocksOnlineStore(o));
  if (enforce) store->SetGroups(def.groups);
  return store;
}

}  // namespace

Result<ApplyPlan> FeatureRepository::Apply(const std::string& dir, bool dry_run) {
  const fs::path yaml = fs::path(dir) / kRepoYamlFile;
  if (!fs::exists(yaml))
    return Status::NotFound("no " + std::string(kRepoYamlFile) + " in " + dir + "; create one with `strata init " + dir + "`");
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadFileToString(yaml.string()));
  STRATA_ASSIGN_OR_RETURN(RepoDefinition proposed, ParseRepoYaml(text, yaml.string()));
  std::optional<RepoDefinition> registered;
  const fs::path registry = fs::path(dir) / kRegistryFile;
  if (fs::exists(registry)) {
    STRATA_ASSIGN_OR_RETURN(std::string json, ReadFileToString(registry.string()));
    auto def = DefinitionFromJson(json);
    if (!def.ok()) return def.status().WithContext(registry.string());
    registered = std::move(*def);
  }
  STRATA_ASSIGN_OR_RETURN(ApplyPlan plan, PlanApply(registered ? &*registered : nullptr, proposed));
  if (dry_run || (registered && plan.changes.empty())) return plan;
  // Create or open the stores first, so that a store that cannot be opened leaves the registry unchanged.
  STRATA_ASSIGN_OR_RETURN(auto online, OpenOnline(dir, plan.result, /*read_only=*/false, /*enforce=*/false));
  online.reset();
  STRATA_RETURN_NOT_OK(WriteFileAtomic(registry.string(), DefinitionToJson(plan.result)));
  // Offline tables follow the registry: created, or moved to the new schema (Iceberg schema
  // evolution: new field ids for added columns, promotions, dropped columns hidden).
  STRATA_ASSIGN_OR_RETURN(auto repo, Open(dir, RepositoryOptions{false, false}));
  STRATA_ASSIGN_OR_RETURN(OfflineStore * offline, repo->offline());
  for (const auto& g : plan.result.groups) {
    Status st = offline->SyncGroup(*plan.result.FindEntity(g.entity), g);
    if (!st.ok()) return st.WithContext("registering the offline table of group " + g.name);
  }
  return plan;
}

Result<std::unique_ptr<FeatureRepository>> FeatureRepository::Open(const std::string& dir, const RepositoryOptions& options) {
  const fs::path registry = fs::path(dir) / kRegistryFile;
  if (!fs::exists(registry)) {
    if (!fs::exists(fs::path(dir) / kRepoYamlFile))
      return Status::NotFound("no feature repository at " + dir + " (no strata.yaml); create one with `strata init " + dir + "`");
    return Status::FailedPrecondition("the feature repository at " + dir + " has not been applied; run `strata apply --repo " + dir + "`");
  }
  STRATA_ASSIGN_OR_RETURN(std::string json, ReadFileToString(registry.string()));
  auto def = DefinitionFromJson(json);
  if (!def.ok()) return def.status().WithContext(registry.string());
  std::unique_ptr<FeatureRepository> repo(new FeatureRepository());
  repo->dir_ = dir;
  repo->definition_ = std::move(*def);
  STRATA_ASSIGN_OR_RETURN(repo->online_, OpenOnline(dir, repo->definition_, options.read_only, /*enforce=*/true,
                                                     options.write_only && !options.read_only));
  STRATA_ASSIGN_OR_RETURN(uint64_t last, repo->online_->LastWriteSeq());
  repo->next_write_seq_ = last + 1;
  if (!options.read_only && options.reconcile) {
    auto reconciled = ReconcileOnlineWithOffline(*repo);
    if (!reconciled.ok()) return reconciled.status().WithContext("reconciling the online store with the offline tables");
    repo->reconciled_rows_ = reconciled->replayed_rows;
    repo->AdvanceWriteSeq(reconciled->last_write_seq);
  }
  return repo;
}

FeatureRepository::FeatureRepository() = default;
FeatureRepository::~FeatureRepository() = default;

OfflineStoreOptions FeatureRepository::offline_options() const {
  OfflineStoreOptions o;
  // Absolute: table locations and file URIs in the metadata must not depend on the cwd.
  o.warehouse = fs::absolute(ResolvePath(definition_.offline.warehouse)).lexically_normal().string();
  const std::string& c = definition_.offline.catalog;
  o.catalog_uri = c.find("://") != std::string::npos ? c : fs::absolute(ResolvePath(c)).lexically_normal().string();
  o.ns = definition_.project;
  return o;
}

Result<OfflineStore*> FeatureRepository::offline() {
  if (!offline_) {
    STRATA_ASSIGN_OR_RETURN(offline_, OfflineStore::Open(offline_options()));
  }
  return offline_.get();
}

std::string FeatureRepository::ResolvePath(const std::string& dir, const std::string& path) {
  const fs::path p(path);
  return p.is_absolute() ? p.string() : (fs::path(dir) / p).lexically_normal().string();
}

Result<const FeatureGroupDef*> FeatureRepository::FindGroup(std::string_view name) const {
  if (const auto* g = definition_.FindGroup(name)) return g;
  if (name == kFeatureLogTable) return &FeatureLogGroup();
  std::string names;
  for (const auto& g : definition_.groups) names += (names.empty() ? "" : ", ") + g.name;
  return Status::NotFound("unknown feature group '" + std::string(name) + "'; the repository has: " +
                          (names.empty() ? "(none)" : names));
}

const EntityDef& FeatureRepository::EntityOf(const FeatureGroupDef& group) const {
  if (&group == &FeatureLogGroup()) return FeatureLogEntity();
  return *definition_.FindEntity(group.entity);
}

Result<std::vector<const FeatureDef*>> FeatureRepository::SelectFeatures(const FeatureGroupDef& group,
                                                                         const std::vector<std::string>& names) const {
  std::vector<const FeatureDef*> out;
  if (names.empty() || (names.size() == 1 && names[0] == "*")) {
    for (const auto& f : group.features) out.push_back(&f);
    return out;
  }
  for (const auto& n : names) {
    if (std::count(names.begin(), names.end(), n) > 1)
      return Status::InvalidArgument("feature '" + n + "' of group " + group.name + " is requested more than once");
    const FeatureDef* f = group.FindFeature(n);
    if (!f) {
      std::string all;
      for (const auto& x : group.features) all += (all.empty() ? "" : ", ") + x.name;
      return Status::NotFound("group " + group.name + " has no feature '" + n + "'; it has: " + all);
    }
    out.push_back(f);
  }
  return out;
}

Status FeatureRepository::EncodeKey(const EntityDef& entity, const Value& key, std::string* out) {
  if (entity.key_type == KeyType::kInt64) {
    if (const auto* v = std::get_if<int64_t>(&key)) {
      AppendInt64Key(out, *v);
      return Status::OK();
    }
  } else if (const auto* v = std::get_if<std::string>(&key)) {
    AppendStringKey(out, *v);
    return Status::OK();
  }
  return Status::InvalidArgument("key of entity " + entity.name + " must be " + KeyTypeName(entity.key_type));
}

Result<uint64_t> FeatureRepository::Write(const FeatureGroupDef& group, std::span<const FeatureRow> rows,
                                          std::span<const MetadataEntry> metadata) {
  STRATA_ASSIGN_OR_RETURN(auto writer, GroupWriter::Make(*this, group));
  STRATA_RETURN_NOT_OK(writer->Append(rows));
  STRATA_ASSIGN_OR_RETURN(uint64_t last, writer->Commit(metadata));
  STRATA_RETURN_NOT_OK(writer->Finish());
  return last;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> FeatureRepository::Read(const FeatureGroupDef& group,
                                                                           std::span<const Value> keys,
                                                                           const std::vector<const FeatureDef*>& features,
                                                                           std::optional<int64_t> as_of, int32_t limit,
                                                                           std::vector<RowInfo>* row_info) {
  ReadColumns columns;
  STRATA_RETURN_NOT_OK(ReadInto(group, keys, features, &columns, as_of, limit, row_info));
  return columns.TakeArrays();
}

Status FeatureRepository::ReadInto(const FeatureGroupDef& group, std::span<const Value> keys,
                                   const std::vector<const FeatureDef*>& features, ReadColumns* out,
                                   std::optional<int64_t> as_of, int32_t limit, std::vector<RowInfo>* row_info) {
  const EntityDef& entity = EntityOf(group);
  std::vector<std::string>& encoded = out->key_buffer();
  encoded.resize(keys.size());
  // A null key reads as a null row (rule 5): it stays empty, which no stored key is.
  for (size_t i = 0; i < keys.size(); ++i) {
    encoded[i].clear();
    if (!IsNull(keys[i])) STRATA_RETURN_NOT_OK(EncodeKey(entity, keys[i], &encoded[i]));
  }
  ReadSpec spec;
  spec.group = &group;
  spec.features = features;
  spec.now = NowMicros();
  spec.as_of = as_of.value_or(spec.now);
  spec.limit = limit;
  spec.row_info = row_info;
  return online_->ReadInto(spec, encoded, out);
}

}  // namespace strata
