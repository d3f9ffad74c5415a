// `strata compact GROUP [--target-file-size 256MB]`: rewrites small offline files into large
// ones sorted by (key, event_time) as one "replace" snapshot; older snapshots still read.

#include <iostream>

#include "strata/cli/command.h"
#include "strata/cli/offline_table.h"
#include "strata/core/byte_size.h"

namespace strata::cli {

Command AddCompactCommand(CLI::App& parent) {
  struct Args {
    std::string repo = ".";
    std::string group;
    std::string target = "256MB";
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand("compact", "Rewrite a group's small offline files into large sorted ones");
  app->add_option("group", args->group, "Feature group")->required();
  app->add_option("--target-file-size", args->target, "Target data file size")->capture_default_str();
  app->add_option("--repo", args->repo, "Feature repository directory")->capture_default_str();
  return {app, [args]() -> int {
            auto size = ParseByteSize(args->target);
            if (!size.ok()) return Fail("compact", size.status().WithContext("--target-file-size"), kExitUsageError);
            if (*size < 1024)
              return Fail("compact", Status::InvalidArgument("--target-file-size " + args->target + " is too small (at least 1KB)"),
                          kExitUsageError);
            int rc = kExitOk;
            auto t = OpenOfflineTable("compact", args->repo, args->group, &rc);
            if (!t) return rc;
            auto r = t->offline->Compact(t->entity(), *t->group, *size);
            if (!r.ok()) return Fail("compact", r.status());
            if (!r->snapshot) {
              std::cout << "nothing to compact in " << args->group << "\n";
            } else {
              std::cout << "compacted " << args->group << ": " << r->files_removed << " files -> " << r->files_added
                        << " files, " << r->rows << " rows; snapshot " << r->snapshot->id << "\n";
            }
            return kExitOk;
          }};
}

}  // namespace strata::cli
