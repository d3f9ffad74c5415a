// `strata compact GROUP [--target-file-size 256MB]`: rewrites small offline files into large
// ones sorted by (key, event_time) as one "replace" snapshot; older snapshots still read.

#include <iostream>

#include "strata/cli/command.h"
#include "strata/cli/offline_table.h"

namespace strata::cli {

namespace {

Result<int64_t> ParseSize(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return Status::InvalidArgument("size '" + text + "' must look like 256MB, 1GB or 65536");
  const double n = std::stod(text.substr(0, i));
  std::string unit = text.substr(i);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double mult = 1;
  if (unit == "KB" || unit == "K") mult = 1 << 10;
  else if (unit == "MB" || unit == "M") mult = 1 << 20;
  else if (unit == "GB" || unit == "G") mult = 1 << 30;
  else if (!unit.empty() && unit != "B") return Status::InvalidArgument("size '" + text + "': unknown unit " + unit + " (use KB, MB or GB)");
  if (n * mult < 1024) return Status::InvalidArgument("size '" + text + "' is too small (at least 1KB)");
  return static_cast<int64_t>(n * mult);
}

}  // namespace

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
            auto size = ParseSize(args->target);
            if (!size.ok()) return Fail("compact", size.status().WithContext("--target-file-size"), kExitUsageError);
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
