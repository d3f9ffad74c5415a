// `strata expire GROUP --older-than 7d`: expires old snapshots of a group's offline table and
// deletes the files no remaining snapshot needs.

#include <iostream>

#include "strata/cli/command.h"
#include "strata/cli/offline_table.h"
#include "strata/core/time.h"

namespace strata::cli {

Command AddExpireCommand(CLI::App& parent) {
  struct Args {
    std::string repo = ".";
    std::string group;
    std::string older_than;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand("expire", "Expire old snapshots of a group's offline table and delete unreferenced files");
  app->add_option("group", args->group, "Feature group")->required();
  app->add_option("--older-than", args->older_than, "Expire snapshots committed longer ago than this (e.g. 7d, 12h, 0s)")->required();
  app->add_option("--repo", args->repo, "Feature repository directory")->capture_default_str();
  return {app, [args]() -> int {
            auto age = ParseDuration(args->older_than);
            if (!age.ok()) return Fail("expire", age.status().WithContext("--older-than"), kExitUsageError);
            int rc = kExitOk;
            auto t = OpenOfflineTable("expire", args->repo, args->group, &rc);
            if (!t) return rc;
            auto r = t->table->ExpireSnapshots((NowMicros() - *age) / 1000);
            if (!r.ok()) return Fail("expire", r.status());
            std::cout << "expired " << r->expired_snapshots.size() << " snapshot(s) of " << args->group << ", deleted "
                      << r->deleted_files.size() << " file(s)\n";
            return kExitOk;
          }};
}

}  // namespace strata::cli
