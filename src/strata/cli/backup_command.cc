// `strata backup --out DIR` and `strata restore --from DIR`: online-store backups (RocksDB
// checkpoints); a restore catches up from the offline tables (docs/operations.md).

#include <iostream>

#include "strata/cli/command.h"
#include "strata/core/time.h"
#include "strata/store/online_backup.h"

namespace strata::cli {

Command AddBackupCommand(CLI::App& parent) {
  struct Args {
    std::string repo = ".";
    std::string out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand(
      "backup", "Back up the online store (a consistent RocksDB checkpoint, hard links where possible) to DIR");
  app->add_option("--out", args->out, "Backup directory (new or empty)")->required();
  app->add_option("--repo", args->repo, "Feature repository directory")->capture_default_str();
  return {app, [args]() -> int {
            auto repo = FeatureRepository::Open(args->repo);
            if (!repo.ok()) return Fail("backup", repo.status());
            auto info = BackupOnlineStore(**repo, args->out);
            if (!info.ok()) return Fail("backup", info.status());
            std::cout << "backed up the online store of " << info->project << " to " << info->dir << " (write_seq "
                      << info->last_write_seq << ", " << FormatTimestamp(info->created_micros) << ")\n";
            return kExitOk;
          }};
}

Command AddRestoreCommand(CLI::App& parent) {
  struct Args {
    std::string repo = ".";
    std::string from;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand(
      "restore", "Replace the online store by a backup, then catch up from the offline tables (the current store is "
                 "moved aside, not deleted)");
  app->add_option("--from", args->from, "Backup directory written by `strata backup`")->required();
  app->add_option("--repo", args->repo, "Feature repository directory")->capture_default_str();
  return {app, [args]() -> int {
            auto s = RestoreOnlineStore(args->repo, args->from);
            if (!s.ok()) return Fail("restore", s.status());
            std::cout << "restored the online store from " << s->backup.dir << " (write_seq " << s->backup.last_write_seq
                      << ", " << FormatTimestamp(s->backup.created_micros) << "); replayed " << s->replayed_rows
                      << " newer rows from the offline tables; now at write_seq " << s->last_write_seq << "\n";
            if (!s->replaced_dir.empty()) std::cout << "the replaced online store is in " << s->replaced_dir << "\n";
            return kExitOk;
          }};
}

}  // namespace strata::cli
