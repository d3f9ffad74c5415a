// `strata snapshots GROUP [--repo DIR] [--format table|json]`: the snapshots of a group's
// offline table, oldest first.

#include <iostream>
#include <nlohmann/json.hpp>

#include "strata/core/arrow_json.h"
#include "strata/cli/command.h"
#include "strata/cli/offline_table.h"
#include "strata/core/time.h"

namespace strata::cli {

Command AddSnapshotsCommand(CLI::App& parent) {
  struct Args {
    std::string repo = ".";
    std::string group;
    std::string format = "table";
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand("snapshots", "List the snapshots of a group's offline (Iceberg) table");
  app->add_option("group", args->group, "Feature group")->required();
  app->add_option("--format", args->format, "Output format")->check(CLI::IsMember({"json", "table"}))->capture_default_str();
  app->add_option("--repo", args->repo, "Feature repository directory")->capture_default_str();
  return {app, [args]() -> int {
            int rc = kExitOk;
            auto t = OpenOfflineTable("snapshots", args->repo, args->group, &rc);
            if (!t) return rc;
            const auto current = t->table->CurrentSnapshot();
            for (const auto& s : t->table->Snapshots()) {
              const auto get = [&](const char* k) {
                auto it = s.summary.find(k);
                return it == s.summary.end() ? std::string("-") : it->second;
              };
              if (args->format == "json") {
                nlohmann::json j = {{"snapshot_id", s.id},
                                    {"timestamp", FormatTimestamp(s.timestamp_ms * 1000)},
                                    {"sequence_number", s.sequence_number},
                                    {"current", current && current->id == s.id},
                                    {"summary", s.summary}};
                if (s.parent_id) j["parent_id"] = *s.parent_id;
                std::cout << j.dump() << "\n";
              } else {
                std::cout << s.id << "  " << FormatTimestamp(s.timestamp_ms * 1000) << "  " << get("operation")
                          << "  added_rows=" << get("added-records") << "  added_files=" << get("added-data-files")
                          << "  total_rows=" << get("total-records") << "  max_write_seq=" << get(kMaxWriteSeqProperty)
                          << (current && current->id == s.id ? "  (current)" : "") << "\n";
              }
            }
            return kExitOk;
          }};
}

}  // namespace strata::cli
