// `strata ingest GROUP FILE... [--repo DIR]`: validates and writes rows from CSV, JSON-lines
// and Parquet files; bad rows go to .strata/rejected/GROUP-<time>.jsonl.

#include <fmt/format.h>

#include "strata/cli/command.h"
#include "strata/ingest/file_ingestor.h"

namespace strata::cli {

Command AddIngestCommand(CLI::App& parent) {
  struct Args {
    std::string repo = ".";
    std::string group;
    std::vector<std::string> files;
    size_t batch_rows = 65536;
    int64_t commit_rows = 0;
    bool log_commits = false;
    bool reingest = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand("ingest", "Ingest CSV, JSON-lines or Parquet files into a feature group");
  app->add_option("group", args->group, "Feature group")->required();
  app->add_option("files", args->files, "Input files (.csv, .jsonl, .parquet)")->required();
  app->add_option("--repo", args->repo, "Feature repository directory")->capture_default_str();
  app->add_option("--batch-rows", args->batch_rows, "Rows read per batch")->capture_default_str()->check(CLI::Range(1, 10000000));
  app->add_option("--commit-rows", args->commit_rows,
                  "Rows per commit: one offline snapshot and the online write that follows it (default: offline.commit_rows)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app->add_flag("--log-commits", args->log_commits, "Print a line after each durable batch");
  app->add_flag("--reingest", args->reingest,
                "Ingest every row again, even of files an earlier run finished (default: resume where it stopped)");
  return {app, [args]() -> int {
            auto repo = FeatureRepository::Open(args->repo, {.write_only = true});
            if (!repo.ok()) return Fail("ingest", repo.status());
            if ((*repo)->reconciled_rows() > 0)
              std::cout << "note: replayed " << (*repo)->reconciled_rows()
                        << " rows into the online store that an interrupted run had committed offline only" << std::endl;
            auto group = (*repo)->FindGroup(args->group);
            if (!group.ok()) return Fail("ingest", group.status(), kExitUsageError);
            IngestOptions options;
            options.batch_rows = args->batch_rows;
            options.commit_rows = args->commit_rows;
            options.resume = !args->reingest;
            if (args->log_commits)
              options.on_commit = [](uint64_t accepted, uint64_t seq) {
                std::cout << "committed rows=" << accepted << " write_seq=" << seq << std::endl;
              };
            auto summary = IngestFiles(**repo, **group, args->files, options);
            if (!summary.ok()) return Fail("ingest", summary.status());
            const auto& s = *summary;
            std::cout << fmt::format("ingested {} rows into {} from {} file(s) in {:.2f}s ({:.0f} rows/s)", s.accepted,
                                     args->group, args->files.size(), s.seconds, s.seconds > 0 ? s.accepted / s.seconds : 0.0);
            if (s.accepted > 0) std::cout << fmt::format("; write_seq {}..{}", s.first_write_seq, s.last_write_seq);
            std::cout << "\n";
            if (s.accepted > 0)  // the two halves run side by side; the slower one sets the pace
              std::cout << fmt::format("time: reading and offline writing {:.2f}s, online writing {:.2f}s (in parallel)\n",
                                       s.seconds - s.online_wait_seconds, s.online_seconds);
            for (const auto& c : s.ignored_columns) std::cout << "note: ignored column " << c << " (not a feature of " << args->group << ")\n";
            for (const auto& f : s.skipped_files)
              std::cout << "note: skipped " << f << ": an earlier run ingested it and it is unchanged (use --reingest to ingest it again)\n";
            if (s.resumed_records > 0)
              std::cout << "note: resumed after " << s.resumed_records << " source rows committed by an earlier, interrupted run\n";
            if (s.rejected > 0) {
              if (!s.rejected_path.empty())
                std::cerr << fmt::format("rejected {} rows; see {}\n", s.rejected - s.earlier_rejected, s.rejected_path);
              for (const auto& p : s.earlier_rejected_paths)
                std::cerr << fmt::format("rejected rows of the interrupted earlier run are in {}\n", p);
              if (s.earlier_rejected > 0) std::cerr << fmt::format("{} rows rejected in all\n", s.rejected);
              return kExitRuntimeError;
            }
            return kExitOk;
          }};
}

}  // namespace strata::cli
