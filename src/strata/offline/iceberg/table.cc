#include "strata/offline/iceberg/table.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "strata/core/file_io.h"
#include "strata/offline/iceberg/table_schema.h"

namespace strata::iceberg {

namespace {

using nlohmann::json;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t NewSnapshotId() {
  std::random_device rd;  // fresh entropy: forked writers must not draw the same ids
  return static_cast<int64_t>(((static_cast<uint64_t>(rd()) << 32) | rd()) >> 1) | 1;  // positive
}

SnapshotInfo ParseSnapshot(const json& s) {
  SnapshotInfo out;
  out.id = s.value("snapshot-id", int64_t{0});
  if (s.contains("parent-snapshot-id") && s["parent-snapshot-id"].is_number_integer())
    out.parent_id = s["parent-snapshot-id"].get<int64_t>();
  out.sequence_number = s.value("sequence-number", int64_t{0});
  out.timestamp_ms = s.value("timestamp-ms", int64_t{0});
  out.manifest_list = s.value("manifest-list", std::string());
  out.schema_id = s.value("schema-id", 0);
  if (s.contains("summary") && s["summary"].is_object())
    for (const auto& [k, v] : s["summary"].items())
      if (v.is_string()) out.summary[k] = v.get<std::string>();
  return out;
}

int64_t SummaryLong(const std::map<std::string, std::string>& summary, const char* key) {
  auto it = summary.find(key);
  if (it == summary.end()) return 0;
  try {
    return std::stoll(it->second);
  } catch (...) {
    return 0;
  }
}

Status CorruptMetadata(const std::string& location, const std::string& what) {
  return Status::Corruption("Iceberg table metadata " + PathFromUri(location) + " is invalid: " + what);
}

}  // namespace

Result<std::unique_ptr<Table>> Table::Load(Catalog* catalog, const std::string& ns, const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(auto location, catalog->LoadTable(ns, name));
  if (!location) return Status::NotFound("the catalog has no table " + ns + "." + name);
  std::unique_ptr<Table> t(new Table(catalog, ns, name));
  STRATA_RETURN_NOT_OK(t->LoadMetadata(*location));
  return t;
}

Result<std::unique_ptr<Table>> Table::CreateOrLoad(Catalog* catalog, const std::string& ns, const std::string& name,
                                                   const std::string& location, const json& schema,
                                                   int last_column_id, const json& partition_spec) {
  STRATA_ASSIGN_OR_RETURN(auto existing, catalog->LoadTable(ns, name));
  if (!existing) {
    const int64_t now = NowMillis();
    json m = {{"format-version", 2},
              {"table-uuid", RandomUuid()},
              {"location", UriFromPath(location)},
              {"last-sequence-number", 0},
              {"last-updated-ms", now},
              {"last-column-id", last_column_id},
              {"current-schema-id", schema.value("schema-id", 0)},
              {"schemas", json::array({schema})},
              {"default-spec-id", 0},
              {"partition-specs", json::array({partition_spec})},
              {"last-partition-id", 1000},
              {"default-sort-order-id", 0},
              {"sort-orders", json::array({{{"order-id", 0}, {"fields", json::array()}}})},
              {"properties", {{"write.format.default", "parquet"}, {"created-by", "strata"}}},
              {"current-snapshot-id", -1},
              {"refs", json::object()},
              {"snapshots", json::array()},
              {"snapshot-log", json::array()},
              {"metadata-log", json::array()}};
    const std::string path = location + "/metadata/00000-" + RandomUuid() + ".metadata.json";
    STRATA_RETURN_NOT_OK(WriteNewFile(path, m.dump(2)));
    Status st = catalog->CreateTable(ns, name, UriFromPath(path));
    if (!st.ok() && st.code() != StatusCode::kAlreadyExists) return st;  // else: another writer created it first
  }
  return Load(catalog, ns, name);
}

Status Table::LoadMetadata(const std::string& location) {
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadFileToString(PathFromUri(location)));
  json m = json::parse(text, nullptr, false);
  if (m.is_discarded() || !m.is_object()) return CorruptMetadata(location, "not a JSON object (truncated?)");
  if (m.value("format-version", 0) != 2) return CorruptMetadata(location, "format-version is not 2");
  for (const char* key : {"location", "schemas", "partition-specs", "snapshots"})
    if (!m.contains(key)) return CorruptMetadata(location, std::string("no \"") + key + "\"");
  metadata_ = std::move(m);
  metadata_location_ = location;
  location_ = PathFromUri(metadata_["location"].get<std::string>());
  return Status::OK();
}

Status Table::Refresh() {
  STRATA_ASSIGN_OR_RETURN(auto location, catalog_->LoadTable(ns_, name_));
  if (!location) return Status::NotFound("the catalog has no table " + ns_ + "." + name_);
  if (*location == metadata_location_) return Status::OK();
  return LoadMetadata(*location);
}

std::vector<SnapshotInfo> Table::Snapshots() const {
  std::vector<SnapshotInfo> out;
  for (const auto& s : metadata_["snapshots"]) out.push_back(ParseSnapshot(s));
  return out;
}

std::optional<SnapshotInfo> Table::CurrentSnapshot() const {
  const int64_t id = metadata_.value("current-snapshot-id", int64_t{-1});
  if (id < 0) return std::nullopt;
  return SnapshotById(id);
}

std::optional<SnapshotInfo> Table::SnapshotById(int64_t id) const {
  for (const auto& s : metadata_["snapshots"])
    if (s.value("snapshot-id", int64_t{0}) == id) return ParseSnapshot(s);
  return std::nullopt;
}

std::optional<SnapshotInfo> Table::SnapshotAsOf(int64_t timestamp_ms) const {
  std::optional<int64_t> id;
  if (metadata_.contains("snapshot-log"))
    for (const auto& e : metadata_["snapshot-log"])
      if (e.value("timestamp-ms", int64_t{0}) <= timestamp_ms) id = e.value("snapshot-id", int64_t{0});
  if (!id) return std::nullopt;
  return SnapshotById(*id);
}

json Table::SchemaById(int id) const {
  for (const auto& s : metadata_["schemas"])
    if (s.value("schema-id", 0) == id) return s;
  return metadata_["schemas"].back();
}

json Table::CurrentSchema() const { return SchemaById(metadata_.value("current-schema-id", 0)); }

Result<std::vector<ManifestFile>> Table::Manifests(const SnapshotInfo& snapshot) const {
  const std::string path = PathFromUri(snapshot.manifest_list);
  STRATA_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return ReadManifestList(bytes, path);
}

Result<std::vector<ManifestEntry>> Table::Entries(const ManifestFile& manifest) const {
  const std::string path = PathFromUri(manifest.path);
  STRATA_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return ReadManifest(bytes, path, manifest);
}

Result<std::vector<ManifestEntry>> Table::LiveFiles(const SnapshotInfo& snapshot) const {
  STRATA_ASSIGN_OR_RETURN(auto manifests, Manifests(snapshot));
  std::vector<ManifestEntry> out;
  for (const auto& m : manifests) {
    STRATA_ASSIGN_OR_RETURN(auto entries, Entries(m));
    for (auto& e : entries)
      if (e.status != EntryStatus::kDeleted) out.push_back(std::move(e));
  }
  return out;
}

std::string Table::MetadataFilePath(const std::string& file_name) const { return location_ + "/metadata/" + file_name; }

std::string Table::NewMetadataPath() const {
  // <version>-<uuid>.metadata.json, the version one past the current file's.
  const std::string current = std::filesystem::path(PathFromUri(metadata_location_)).filename().string();
  long version = 0;
  try {
    version = std::stol(current.substr(0, current.find('-')));
  } catch (...) {
  }
  char prefix[16];
  std::snprintf(prefix, sizeof(prefix), "%05ld-", version + 1);
  return MetadataFilePath(prefix + RandomUuid() + ".metadata.json");
}

Status Table::Commit(const std::function<Result<json>(const json& base)>& update) {
  constexpr int kAttempts = 20;
  std::mt19937 rng(std::random_device{}());
  for (int attempt = 0;; ++attempt) {
    STRATA_ASSIGN_OR_RETURN(json next, update(metadata_));
    next["last-updated-ms"] = NowMillis();
    if (!next.contains("metadata-log")) next["metadata-log"] = json::array();
    next["metadata-log"].push_back({{"metadata-file", metadata_location_},
                                    {"timestamp-ms", metadata_.value("last-updated-ms", int64_t{0})}});
    const std::string path = NewMetadataPath();
    STRATA_RETURN_NOT_OK(WriteNewFile(path, next.dump(2)));
    Status st = catalog_->CommitTable(ns_, name_, metadata_location_, UriFromPath(path));
    if (st.ok()) {
      metadata_ = std::move(next);
      metadata_location_ = UriFromPath(path);
      return Status::OK();
    }
    std::error_code ec;
    std::filesystem::remove(path, ec);  // never referenced
    if (st.code() != StatusCode::kConflict || attempt + 1 >= kAttempts) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(1, 20 << std::min(attempt, 5))(rng)));
    STRATA_RETURN_NOT_OK(Refresh());
  }
}

Status Table::UpdateSchema(const json& schema, int last_column_id) {
  if (SameFields(CurrentSchema(), schema)) return Status::OK();
  return Commit([&](const json& base) -> Result<json> {
    json next = base;
    int max_id = -1;
    for (const auto& s : base["schemas"]) {
      if (SameFields(s, schema)) {  // an earlier schema again: point back to it
        next["current-schema-id"] = s.value("schema-id", 0);
        return next;
      }
      max_id = std::max(max_id, s.value("schema-id", 0));
    }
    json added = schema;
    added["schema-id"] = max_id + 1;
    next["schemas"].push_back(added);
    next["current-schema-id"] = max_id + 1;
    next["last-column-id"] = std::max(base.value("last-column-id", 0), last_column_id);
    return next;
  });
}

Result<SnapshotInfo> Table::Append(const std::vector<DataFile>& files,
                                   const std::map<std::string, std::string>& properties) {
  std::vector<ManifestEntry> entries;
  for (const auto& f : files) entries.push_back(ManifestEntry{EntryStatus::kAdded, 0, 0, 0, f});
  return CommitSnapshot("append", entries, {}, properties);
}

Result<SnapshotInfo> Table::Rewrite(const std::set<std::string>& removed, const std::vector<DataFile>& added,
                                    const std::map<std::string, std::string>& properties) {
  std::vector<ManifestEntry> entries;
  for (const auto& f : added) entries.push_back(ManifestEntry{EntryStatus::kAdded, 0, 0, 0, f});
  return CommitSnapshot("replace", entries, removed, properties);
}

Result<SnapshotInfo> Table::CommitSnapshot(const std::string& operation, const std::vector<ManifestEntry>& new_entries,
                                           const std::set<std::string>& removed,
                                           const std::map<std::string, std::string>& properties) {
  const int64_t snapshot_id = NewSnapshotId();
  const std::string partition_name = metadata_["partition-specs"][0]["fields"][0].value("name", "day");
  SnapshotInfo committed;
  STRATA_RETURN_NOT_OK(Commit([&](const json& base) -> Result<json> {
    // Re-planned against every new base: a retry sees what the winning writer committed.
    std::optional<SnapshotInfo> parent;
    if (base.value("current-snapshot-id", int64_t{-1}) >= 0) parent = SnapshotById(base["current-snapshot-id"].get<int64_t>());
    const int64_t seq = base.value("last-sequence-number", int64_t{0}) + 1;
    const std::string uuid = RandomUuid();
    std::vector<ManifestFile> manifests;
    auto write_manifest = [&](std::vector<ManifestEntry> entries, const std::string& suffix) -> Status {
      for (auto& e : entries)
        if (e.status == EntryStatus::kAdded) e.snapshot_id = snapshot_id, e.sequence_number = e.file_sequence_number = seq;
      const std::string path = MetadataFilePath(uuid + "-m" + suffix + ".avro");
      const std::string bytes = WriteManifest(entries, SchemaById(base.value("current-schema-id", 0)), partition_name);
      STRATA_RETURN_NOT_OK(WriteNewFile(path, bytes));
      ManifestFile m = SummarizeManifest(entries);
      m.path = UriFromPath(path);
      m.length = static_cast<int64_t>(bytes.size());
      m.sequence_number = seq;
      if (m.added_files + m.existing_files == 0) m.min_sequence_number = seq;
      m.added_snapshot_id = snapshot_id;
      manifests.push_back(std::move(m));
      return Status::OK();
    };
    int64_t added_rows = 0, added_size = 0, deleted_rows = 0, deleted_size = 0, deleted_files = 0;
    std::set<int32_t> partitions;
    for (const auto& e : new_entries) {
      added_rows += e.file.record_count;
      added_size += e.file.file_size;
      partitions.insert(e.file.partition_day);
    }
    if (!new_entries.empty()) STRATA_RETURN_NOT_OK(write_manifest(new_entries, "0"));
    if (parent) {
      STRATA_ASSIGN_OR_RETURN(auto parent_manifests, Manifests(*parent));
      size_t found = 0, rewritten = 0;
      for (const auto& m : parent_manifests) {
        if (removed.empty()) {
          manifests.push_back(m);
          continue;
        }
        STRATA_ASSIGN_OR_RETURN(auto entries, Entries(m));
        bool touched = false;
        for (const auto& e : entries) touched |= e.status != EntryStatus::kDeleted && removed.count(e.file.path);
        if (!touched) {
          manifests.push_back(m);
          continue;
        }
        std::vector<ManifestEntry> kept;
        for (auto& e : entries) {
          if (e.status == EntryStatus::kDeleted) continue;
          if (removed.count(e.file.path)) {
            ++found, ++deleted_files;
            deleted_rows += e.file.record_count;
            deleted_size += e.file.file_size;
            partitions.insert(e.file.partition_day);
            e.status = EntryStatus::kDeleted;  // keeps its sequence numbers; deleted by this snapshot
            e.snapshot_id = snapshot_id;
            kept.push_back(std::move(e));
          } else {
            e.status = EntryStatus::kExisting;
            kept.push_back(std::move(e));
          }
        }
        STRATA_RETURN_NOT_OK(write_manifest(std::move(kept), std::to_string(++rewritten)));
      }
      if (found != removed.size())
        return Status::Conflict("files to rewrite in " + name_ + " are no longer all live (another writer changed them)");
    } else if (!removed.empty()) {
      return Status::Conflict("table " + name_ + " has no snapshot to rewrite");
    }
    const std::string list_path = MetadataFilePath("snap-" + std::to_string(snapshot_id) + "-1-" + uuid + ".avro");
    STRATA_RETURN_NOT_OK(WriteNewFile(list_path, WriteManifestList(manifests, snapshot_id,
                                                                  parent ? std::optional<int64_t>(parent->id) : std::nullopt,
                                                                  seq)));
    std::map<std::string, std::string> prev = parent ? parent->summary : std::map<std::string, std::string>();
    json summary = {{"operation", operation},
                    {"added-data-files", std::to_string(new_entries.size())},
                    {"added-records", std::to_string(added_rows)},
                    {"added-files-size", std::to_string(added_size)},
                    {"changed-partition-count", std::to_string(partitions.size())},
                    {"total-records", std::to_string(SummaryLong(prev, "total-records") + added_rows - deleted_rows)},
                    {"total-data-files", std::to_string(SummaryLong(prev, "total-data-files") +
                                                        static_cast<int64_t>(new_entries.size()) - deleted_files)},
                    {"total-files-size", std::to_string(SummaryLong(prev, "total-files-size") + added_size - deleted_size)},
                    {"total-delete-files", "0"},
                    {"total-position-deletes", "0"},
                    {"total-equality-deletes", "0"}};
    if (deleted_files > 0) {
      summary["deleted-data-files"] = std::to_string(deleted_files);
      summary["deleted-records"] = std::to_string(deleted_rows);
      summary["removed-files-size"] = std::to_string(deleted_size);
    }
    for (const auto& [k, v] : properties) summary[k] = v;
    const int64_t now = NowMillis();
    json snap = {{"snapshot-id", snapshot_id},
                 {"sequence-number", seq},
                 {"timestamp-ms", now},
                 {"manifest-list", UriFromPath(list_path)},
                 {"summary", summary},
                 {"schema-id", base.value("current-schema-id", 0)}};
    if (parent) snap["parent-snapshot-id"] = parent->id;
    json next = base;
    next["snapshots"].push_back(snap);
    next["current-snapshot-id"] = snapshot_id;
    next["last-sequence-number"] = seq;
    next["refs"]["main"] = {{"snapshot-id", snapshot_id}, {"type", "branch"}};
    if (!next.contains("snapshot-log")) next["snapshot-log"] = json::array();
    next["snapshot-log"].push_back({{"snapshot-id", snapshot_id}, {"timestamp-ms", now}});
    committed = ParseSnapshot(snap);
    return next;
  }));
  return committed;
}

Result<ExpireResult> Table::ExpireSnapshots(int64_t older_than_ms) {
  ExpireResult result;
  std::vector<SnapshotInfo> expired;
  STRATA_RETURN_NOT_OK(Commit([&](const json& base) -> Result<json> {
    expired.clear();
    result.expired_snapshots.clear();
    const int64_t current = base.value("current-snapshot-id", int64_t{-1});
    json next = base;
    next["snapshots"] = json::array();
    std::set<int64_t> gone;
    for (const auto& s : base["snapshots"]) {
      SnapshotInfo info = ParseSnapshot(s);
      if (info.id != current && info.timestamp_ms < older_than_ms) {
        gone.insert(info.id);
        expired.push_back(info);
        result.expired_snapshots.push_back(info.id);
      } else {
        next["snapshots"].push_back(s);
      }
    }
    json log = json::array();
    if (base.contains("snapshot-log"))
      for (const auto& e : base["snapshot-log"])
        if (!gone.count(e.value("snapshot-id", int64_t{0}))) log.push_back(e);
    next["snapshot-log"] = log;
    return next;
  }));
  if (expired.empty()) return result;
  // Files are deleted only after the commit: a crash leaves unreferenced files, never a
  // snapshot pointing at a missing one.
  auto collect = [&](const SnapshotInfo& s, std::set<std::string>* files) -> Status {
    files->insert(PathFromUri(s.manifest_list));
    STRATA_ASSIGN_OR_RETURN(auto manifests, Manifests(s));
    for (const auto& m : manifests) {
      files->insert(PathFromUri(m.path));
      STRATA_ASSIGN_OR_RETURN(auto entries, Entries(m));
      for (const auto& e : entries)
        if (e.status != EntryStatus::kDeleted) files->insert(PathFromUri(e.file.path));
    }
    return Status::OK();
  };
  std::set<std::string> live, candidates;
  for (const auto& s : Snapshots()) STRATA_RETURN_NOT_OK(collect(s, &live));
  for (const auto& s : expired) {
    Status st = collect(s, &candidates);
    if (!st.ok() && st.code() != StatusCode::kIOError) return st;  // already-missing files of an old snapshot are fine
  }
  const std::string prefix = location_ + "/";
  for (const auto& f : candidates) {
    if (live.count(f) || f.rfind(prefix, 0) != 0) continue;  // never a live file, never outside the table
    std::error_code ec;
    if (std::filesystem::remove(f, ec)) result.deleted_files.push_back(f);
  }
  return result;
}

}  // namespace strata::iceberg
