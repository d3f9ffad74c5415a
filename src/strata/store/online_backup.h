#pragma once
// Backups of the online store (RocksDB checkpoints) and restoring one. The offline store is
// the history of record: its Iceberg snapshots are immutable, so it is backed up as files (or
// by the object store's versioning); a restored online store catches up from it. Restoring
// an online backup reopens the repository, whose reconciliation replays online every row the
// offline tables hold beyond the backup's write_seq — as after a crash — so nothing ingested
// after the backup is lost.

#include <cstdint>
#include <string>

#include "strata/core/status.h"
#include "strata/store/feature_repository.h"

namespace strata {

struct OnlineBackupInfo {
  std::string dir;
  std::string project;
  uint64_t last_write_seq = 0;  // the newest row the backup holds
  int64_t created_micros = 0;
};

// Writes DIR/online (a checkpoint of the repository's online store) and DIR/backup.json.
// DIR must not exist or be empty. Runs beside reads and writes of the same process.
Result<OnlineBackupInfo> BackupOnlineStore(FeatureRepository& repo, const std::string& dir);

// Reads DIR/backup.json.
Result<OnlineBackupInfo> ReadOnlineBackup(const std::string& dir);

struct OnlineRestoreSummary {
  OnlineBackupInfo backup;
  std::string replaced_dir;    // where the online store it replaced was moved
  uint64_t replayed_rows = 0;  // rows newer than the backup, replayed from the offline tables
  uint64_t last_write_seq = 0;
};

// Replaces the online store of the repository at `repo_dir` by the backup in `backup_dir`
// (the current one is moved aside, never deleted), then opens the repository so that it
// reconciles with the offline tables. Refuses a backup of another project, and a repository
// that is in use (e.g. by `strata serve`).
Result<OnlineRestoreSummary> RestoreOnlineStore(const std::string& repo_dir, const std::string& backup_dir);

}  // namespace strata
