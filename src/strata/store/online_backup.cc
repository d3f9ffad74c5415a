#include "strata/store/online_backup.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "strata/core/file_io.h"
#include "strata/core/time.h"

namespace strata {

namespace fs = std::filesystem;

namespace {

constexpr const char* kInfoFile = "backup.json";
constexpr const char* kOnlineDir = "online";

}  // namespace

Result<OnlineBackupInfo> BackupOnlineStore(FeatureRepository& repo, const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
    return Status::AlreadyExists("backup directory " + dir + " is not empty; give a new one");
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  // The write_seq first: the checkpoint holds at least this much (writes only add).
  STRATA_ASSIGN_OR_RETURN(const uint64_t seq, repo.online().LastWriteSeq());
  const std::string online = (fs::path(dir) / kOnlineDir).string();
  STRATA_RETURN_NOT_OK(repo.online().Checkpoint(online));
  OnlineBackupInfo info{dir, repo.definition().project, seq, NowMicros()};
  nlohmann::json j = {{"format", 1},
                      {"project", info.project},
                      {"last_write_seq", info.last_write_seq},
                      {"created", FormatTimestamp(info.created_micros)},
                      {"created_micros", info.created_micros},
                      {"online", kOnlineDir}};
  STRATA_RETURN_NOT_OK(WriteFileAtomic((fs::path(dir) / kInfoFile).string(), j.dump(2) + "\n"));
  return info;
}

Result<OnlineBackupInfo> ReadOnlineBackup(const std::string& dir) {
  const std::string path = (fs::path(dir) / kInfoFile).string();
  STRATA_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path));
  try {
    const auto j = nlohmann::json::parse(text);
    OnlineBackupInfo info;
    info.dir = dir;
    info.project = j.at("project").get<std::string>();
    info.last_write_seq = j.at("last_write_seq").get<uint64_t>();
    info.created_micros = j.at("created_micros").get<int64_t>();
    if (!fs::is_directory(fs::path(dir) / kOnlineDir)) return Status::Corruption(dir + " has no online/ checkpoint");
    return info;
  } catch (const std::exception& e) {
    return Status::Corruption(path + " is not a Strata backup description: " + e.what());
  }
}

Result<OnlineRestoreSummary> RestoreOnlineStore(const std::string& repo_dir, const std::string& backup_dir) {
  OnlineRestoreSummary summary;
  STRATA_ASSIGN_OR_RETURN(summary.backup, ReadOnlineBackup(backup_dir));
  std::string online_dir;
  {
    // Opening takes the store's lock: a repository in use is refused here.
    RepositoryOptions options;
    options.reconcile = false;
    auto repo = FeatureRepository::Open(repo_dir, options);
    if (!repo.ok())
      return Status(repo.status().code(), "cannot restore into " + repo_dir + ": " + repo.status().message() +
                                              " (stop `strata serve` and other writers first)");
    if ((*repo)->definition().project != summary.backup.project)
      return Status::InvalidArgument("the backup in " + backup_dir + " is of project '" + summary.backup.project +
                                     "', not '" + (*repo)->definition().project + "'");
    online_dir = (*repo)->ResolvePath((*repo)->definition().online.path);
  }
  std::error_code ec;
  summary.replaced_dir = online_dir + ".replaced-" + std::to_string(NowMicros());
  if (fs::exists(online_dir)) {
    fs::rename(online_dir, summary.replaced_dir, ec);
    if (ec) return Status::IOError("cannot move " + online_dir + " aside: " + ec.message());
  } else {
    summary.replaced_dir.clear();
  }
  fs::copy(fs::path(backup_dir) / kOnlineDir, online_dir, fs::copy_options::recursive, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove_all(online_dir, ignored);
    if (!summary.replaced_dir.empty()) fs::rename(summary.replaced_dir, online_dir, ignored);
    return Status::IOError("cannot copy the backup into " + online_dir + ": " + ec.message());
  }
  STRATA_ASSIGN_OR_RETURN(auto repo, FeatureRepository::Open(repo_dir));
  summary.replayed_rows = repo->reconciled_rows();
  summary.last_write_seq = repo->last_write_seq();
  return summary;
}

}  // namespace strata
