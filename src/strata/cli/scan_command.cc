// `strata scan GROUP [--snapshot ID | --as-of-time TIME] [--where "key=K[,K...]"] --out FILE`:
// reads a group's offline table (time travel by snapshot or commit time) into a file.

#include <arrow/record_batch.h>

#include <charconv>
#include <iostream>

#include "strata/cli/command.h"
#include "strata/cli/entity_key.h"
#include "strata/cli/offline_table.h"
#include "strata/cli/table_file_writer.h"
#include "strata/core/time.h"
#include "strata/store/group_scan.h"

namespace strata::cli {

namespace {

// "user_id=1,2,3" (or "key=..."): keys of the group's entity.
Result<iceberg::ScanFilter> ParseWhere(const std::string& where, const EntityDef& entity) {
  iceberg::ScanFilter filter;
  if (where.empty()) return filter;
  const auto eq = where.find('=');
  const std::string column = eq == std::string::npos ? "" : where.substr(0, eq);
  if (column != entity.key && column != "key")
    return Status::InvalidArgument("--where must look like \"" + entity.key + "=K[,K...]\" (a filter on the entity key)");
  std::string rest = where.substr(eq + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t comma = rest.find(',', pos);
    if (comma == std::string::npos) comma = rest.size();
    auto key = ParseKey(entity, rest.substr(pos, comma - pos));
    if (!key.ok()) return key.status().WithContext("--where");
    if (auto* s = std::get_if<std::string>(&*key)) {
      filter.string_keys.push_back(std::move(*s));
    } else {
      filter.int_keys.push_back(std::get<int64_t>(*key));
    }
    pos = comma + 1;
  }
  return filter;
}

}  // namespace

Command AddScanCommand(CLI::App& parent) {
  struct Args {
    std::string repo = ".";
    std::string group;
    int64_t snapshot = -1;
    std::string as_of_time;
    std::string where;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand("scan", "Read a group's offline table (optionally time-travelling) into a file");
  app->add_option("group", args->group, "Feature group")->required();
  auto* snap = app->add_option("--snapshot", args->snapshot, "Read this snapshot id (see `strata snapshots`)");
  app->add_option("--as-of-time", args->as_of_time, "Read the snapshot that was current at this time")->excludes(snap);
  app->add_option("--where", args->where, "Only these entity keys: \"KEY=K[,K...]\"");
  app->add_option("--out", args->out, "Output file: .parquet, .csv or .jsonl")->required();
  app->add_option("--repo", args->repo, "Feature repository directory")->capture_default_str();
  return {app, [args]() -> int {
            int rc = kExitOk;
            auto t = OpenOfflineTable("scan", args->repo, args->group, &rc);
            if (!t) return rc;
            auto filter = ParseWhere(args->where, t->entity());
            if (!filter.ok()) return Fail("scan", filter.status(), kExitUsageError);
            GroupScanOptions scan_options;
            scan_options.filter = std::move(*filter);
            if (args->snapshot >= 0) scan_options.snapshot_id = args->snapshot;
            if (!args->as_of_time.empty()) {
              auto when = ParseTimestamp(args->as_of_time);
              if (!when.ok()) return Fail("scan", when.status().WithContext("--as-of-time"), kExitUsageError);
              scan_options.as_of_micros = *when;
            }
            auto group_scan = ScanGroup(*t->repo, *t->group, scan_options);
            if (!group_scan.ok())
              return Fail("scan", group_scan.status(), group_scan.status().code() == StatusCode::kNotFound ? kExitUsageError : kExitRuntimeError);
            const auto& snapshot = group_scan->snapshot;
            auto& scan = group_scan->scan;
            auto writer = OpenTableFileWriter(args->out, scan->schema());
            if (!writer.ok()) return Fail("scan", writer.status(), kExitUsageError);
            int64_t rows = 0;
            while (true) {
              auto batch = scan->Next();
              if (!batch.ok()) return Fail("scan", batch.status());
              if (!*batch) break;
              rows += (*batch)->num_rows();
              Status st = (*writer)->Write(**batch);
              if (!st.ok()) return Fail("scan", st);
            }
            Status st = (*writer)->Close();
            if (!st.ok()) return Fail("scan", st);
            std::cout << "scanned " << rows << " rows of " << args->group << " ("
                      << (snapshot ? "snapshot " + std::to_string(snapshot->id) : std::string("no snapshot yet")) << ") into "
                      << args->out << "\n";
            return kExitOk;
          }};
}

}  // namespace strata::cli
