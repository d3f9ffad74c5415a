// `strata training-set --spine FILE --features REFS --out FILE [--timestamp-column ts]
// [--repo DIR] [--snapshot ID] [--memory-limit 4GB] [--threads N]`: a point-in-time-correct
// training set (rule 7 of DESIGN.md).

#include <arrow/record_batch.h>
#include <arrow/type.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "strata/cli/command.h"
#include "strata/cli/table_file_writer.h"
#include "strata/core/byte_size.h"
#include "strata/training/training_set.h"

namespace strata::cli {

namespace {

// Row groups of 64Ki rows: small enough that the loader can shard and shuffle a set across
// ranks and workers by row group, large enough to amortize Parquet's per-group overhead.
constexpr int64_t kTrainingRowGroupRows = 64 * 1024;

}  // namespace

Command AddTrainingSetCommand(CLI::App& parent) {
  struct Args {
    std::string repo = ".";
    std::string spine;
    std::string features;
    std::string out;
    std::string timestamp_column = "ts";
    std::string snapshot;
    std::string memory_limit = "4GB";
    int threads = 0;
    int partitions = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand("training-set", "Build a point-in-time-correct training set from a spine");
  app->add_option("--spine", args->spine, "Labelled events: .parquet, .csv or .jsonl with entity keys and a time")
      ->required();
  app->add_option("--features", args->features, "Comma-separated group:feature, group:* or group:feature@N")->required();
  app->add_option("--out", args->out, "Output file: .parquet, .csv or .jsonl")->required();
  app->add_option("--timestamp-column", args->timestamp_column, "The spine's time column")->capture_default_str();
  app->add_option("--snapshot", args->snapshot,
                  "Read the tables as of this snapshot id (or GROUP=ID,...); default: the current snapshots");
  app->add_option("--memory-limit", args->memory_limit, "Spill to disk beyond this much memory")->capture_default_str();
  app->add_option("--threads", args->threads, "Threads (default: every core)");
  app->add_option("--partitions", args->partitions, "Key-hash partitions (tuning; default: as the memory limit needs)");
  app->add_option("--repo", args->repo, "Feature repository directory")->capture_default_str();
  return {app, [args]() -> int {
            const auto started = std::chrono::steady_clock::now();
            const std::string ext = std::filesystem::path(args->out).extension().string();
            if (ext != ".parquet" && ext != ".csv" && ext != ".jsonl" && ext != ".json")
              return Fail("training-set", Status::InvalidArgument("--out " + args->out + ": use .parquet, .csv or .jsonl"),
                          kExitUsageError);
            auto limit = ParseByteSize(args->memory_limit);
            if (!limit.ok()) return Fail("training-set", limit.status().WithContext("--memory-limit"), kExitUsageError);
            auto repo = FeatureRepository::Open(args->repo, {.read_only = true});
            if (!repo.ok()) return Fail("training-set", repo.status());
            auto requests = training::ResolveFeatureRefs((*repo)->definition(), args->features);
            if (!requests.ok()) return Fail("training-set", requests.status().WithContext("--features"), kExitUsageError);
            auto spine = training::SpineSource::FromFile(args->spine);
            if (!spine.ok()) return Fail("training-set", spine.status(), kExitUsageError);
            training::TrainingSetOptions options;
            options.timestamp_column = args->timestamp_column;
            options.memory_limit = *limit;
            options.threads = args->threads;
            options.snapshot = args->snapshot;
            options.partitions = args->partitions;
            training::TrainingSetStats stats;
            auto reader = training::BuildTrainingSet(**repo, *spine, *requests, options, &stats);
            if (!reader.ok()) {
              const StatusCode code = reader.status().code();
              const bool usage = code == StatusCode::kInvalidArgument || code == StatusCode::kNotFound;
              return Fail("training-set", reader.status(), usage ? kExitUsageError : kExitRuntimeError);
            }
            auto writer = OpenTableFileWriter(args->out, (*reader)->schema(), {.parquet_row_group_rows = kTrainingRowGroupRows});
            if (!writer.ok()) return Fail("training-set", writer.status(), kExitUsageError);
            int64_t rows = 0;
            while (true) {
              std::shared_ptr<arrow::RecordBatch> batch;
              auto st = (*reader)->ReadNext(&batch);
              if (!st.ok()) return Fail("training-set", Status::IOError(st.message()));
              if (!batch) break;
              rows += batch->num_rows();
              if (Status w = (*writer)->Write(*batch); !w.ok()) return Fail("training-set", w);
            }
            if (Status c = (*writer)->Close(); !c.ok()) return Fail("training-set", c);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            std::cout << "wrote " << rows << " rows x " << (*reader)->schema()->num_fields() << " columns to " << args->out
                      << " in " << seconds << " s (" << stats.feature_rows << " history rows read; "
                      << stats.partitions << " partition" << (stats.partitions == 1 ? "" : "s");
            if (stats.spilled_bytes > 0) std::cout << ", " << (stats.spilled_bytes >> 20) << " MiB spilled";
            std::cout << "; read " << stats.index_seconds << " s, join " << stats.join_seconds << " s)\n";
            return kExitOk;
          }};
}

}  // namespace strata::cli
