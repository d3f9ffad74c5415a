#include "strata/store/feature_repository.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "strata/core/definitions_json.h"
#include "strata/core/key_codec.h"
#include "strata/core/repo_yaml.h"
#include "strata/core/row_codec.h"
#include "strata/core/time.h"
#include "strata/online/rocksdb/rocksdb_online_store.h"

namespace strata {

namespace fs = std::filesystem;

namespace {

constexpr char kRegistryFile[] = ".strata/registry.json";

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `path` atomically: a temporary file, fsync, rename.
Status WriteFileAtomic(const fs::path& path, const std::string& data) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const fs::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Status::IOError("cannot write " + tmp.string());
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) return Status::IOError("cannot write " + path.string());
  return Status::OK();
}

std::string Resolve(const std::string& dir, const std::string& path) {
  const fs::path p(path);
  return p.is_absolute() ? p.string() : (fs::path(dir) / p).lexically_normal().string();
}

// `enforce`: hand the groups' TTL and retention to the store's compaction. `apply` opens the
// store without them, so that nothing is reclaimed under definitions not yet registered.
Result<std::unique_ptr<OnlineStore>> OpenOnline(const std::string& dir, const RepoDefinition& def, bool read_only,
                                                bool enforce = true) {
  RocksOnlineOptions o;
  o.path = Resolve(dir, def.online.path);
  if (!read_only) {
    std::error_code ec;
    fs::create_directories(o.path, ec);
    if (ec) return Status::IOError("cannot create the online store directory " + o.path + ": " + ec.message());
  }
  o.read_only = read_only;
  o.sync = def.online.sync;
  o.block_cache_bytes = static_cast<size_t>(def.online.block_cache_mb) << 20;
  o.row_cache_bytes = static_cast<size_t>(def.online.row_cache_mb) << 20;
  STRATA_ASSIGN_OR_RETURN(auto store, OpenRocksOnlineStore(o));
  if (enforce) store->SetGroups(def.groups);
  return store;
}

}  // namespace

Result<ApplyPlan> FeatureRepository::Apply(const std::string& dir, bool dry_run) {
  const fs::path yaml = fs::path(dir) / kRepoYamlFile;
  if (!fs::exists(yaml))
    return Status::NotFound("no " + std::string(kRepoYamlFile) + " in " + dir + "; create one with `strata init " + dir + "`");
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadFile(yaml));
  STRATA_ASSIGN_OR_RETURN(RepoDefinition proposed, ParseRepoYaml(text, yaml.string()));
  std::optional<RepoDefinition> registered;
  const fs::path registry = fs::path(dir) / kRegistryFile;
  if (fs::exists(registry)) {
    STRATA_ASSIGN_OR_RETURN(std::string json, ReadFile(registry));
    auto def = DefinitionFromJson(json);
    if (!def.ok()) return def.status().WithContext(registry.string());
    registered = std::move(*def);
  }
  STRATA_ASSIGN_OR_RETURN(ApplyPlan plan, PlanApply(registered ? &*registered : nullptr, proposed));
  if (dry_run || (registered && plan.changes.empty())) return plan;
  // Create or open the stores first, so that a store that cannot be opened leaves the registry unchanged.
  STRATA_ASSIGN_OR_RETURN(auto online, OpenOnline(dir, plan.result, /*read_only=*/false, /*enforce=*/false));
  online.reset();
  STRATA_RETURN_NOT_OK(WriteFileAtomic(registry, DefinitionToJson(plan.result)));
  return plan;
}

Result<std::unique_ptr<FeatureRepository>> FeatureRepository::Open(const std::string& dir, const RepositoryOptions& options) {
  const fs::path registry = fs::path(dir) / kRegistryFile;
  if (!fs::exists(registry)) {
    if (!fs::exists(fs::path(dir) / kRepoYamlFile))
      return Status::NotFound("no feature repository at " + dir + " (no strata.yaml); create one with `strata init " + dir + "`");
    return Status::FailedPrecondition("the feature repository at " + dir + " has not been applied; run `strata apply --repo " + dir + "`");
  }
  STRATA_ASSIGN_OR_RETURN(std::string json, ReadFile(registry));
  auto def = DefinitionFromJson(json);
  if (!def.ok()) return def.status().WithContext(registry.string());
  std::unique_ptr<FeatureRepository> repo(new FeatureRepository());
  repo->dir_ = dir;
  repo->definition_ = std::move(*def);
  STRATA_ASSIGN_OR_RETURN(repo->online_, OpenOnline(dir, repo->definition_, options.read_only));
  STRATA_ASSIGN_OR_RETURN(uint64_t last, repo->online_->LastWriteSeq());
  repo->next_write_seq_ = last + 1;
  return repo;
}

std::string FeatureRepository::ResolvePath(const std::string& path) const { return Resolve(dir_, path); }

Result<const FeatureGroupDef*> FeatureRepository::FindGroup(std::string_view name) const {
  if (const auto* g = definition_.FindGroup(name)) return g;
  std::string names;
  for (const auto& g : definition_.groups) names += (names.empty() ? "" : ", ") + g.name;
  return Status::NotFound("unknown feature group '" + std::string(name) + "'; the repository has: " +
                          (names.empty() ? "(none)" : names));
}

const EntityDef& FeatureRepository::EntityOf(const FeatureGroupDef& group) const {
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
  const EntityDef& entity = EntityOf(group);
  std::vector<OnlineWrite> writes(rows.size());
  uint64_t seq = next_write_seq_;
  for (size_t i = 0; i < rows.size(); ++i) {
    OnlineWrite& w = writes[i];
    w.group = &group;
    STRATA_RETURN_NOT_OK(EncodeKey(entity, rows[i].key, &w.entity_key));
    w.event_time = rows[i].event_time;
    w.write_seq = seq++;
    EncodeRow(group.features, rows[i].features, &w.row);
  }
  if (rows.empty() && metadata.empty()) return next_write_seq_ - 1;
  STRATA_RETURN_NOT_OK(online_->Write(writes, seq - 1, metadata));
  next_write_seq_ = seq;
  return seq - 1;
}

Result<std::vector<std::shared_ptr<arrow::Array>>> FeatureRepository::Read(const FeatureGroupDef& group,
                                                                           std::span<const Value> keys,
                                                                           const std::vector<const FeatureDef*>& features,
                                                                           std::optional<int64_t> as_of, int32_t limit) {
  const EntityDef& entity = EntityOf(group);
  std::vector<std::string> encoded(keys.size());
  // A null key reads as a null row (rule 5): it stays empty, which no stored key is.
  for (size_t i = 0; i < keys.size(); ++i)
    if (!IsNull(keys[i])) STRATA_RETURN_NOT_OK(EncodeKey(entity, keys[i], &encoded[i]));
  ReadSpec spec;
  spec.group = &group;
  spec.features = features;
  spec.now = NowMicros();
  spec.as_of = as_of.value_or(spec.now);
  spec.limit = limit;
  return online_->Read(spec, encoded);
}

}  // namespace strata
