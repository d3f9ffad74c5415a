#pragma once
// `strata ingest`: reads files into one feature group, online and offline. Accepted rows are
// committed every `commit_rows` rows and at the end (one offline snapshot per commit, so one
// per call for inputs up to that size); rejected rows go to the dead-letter file. Rows get
// write_seq in file order. Each commit also records how far into each file it got (a
// checkpoint keyed by the file's path, size and modification time), so a rerun after a crash
// resumes where the last commit ended and a rerun of a finished, unchanged file ingests
// nothing: no row is lost or written twice.

#include <arrow/type_fwd.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "strata/core/status.h"
#include "strata/store/feature_repository.h"

namespace strata {

struct IngestOptions {
  size_t batch_rows = 65536;
  // Rows per commit (one offline snapshot each); 0: the repository's offline.commit_rows.
  int64_t commit_rows = 0;
  bool resume = true;  // false: ignore checkpoints and ingest every row again
  // Called after each durable batch with the rows accepted so far and the last write_seq.
  std::function<void(uint64_t accepted, uint64_t last_write_seq)> on_commit;
};

struct IngestSummary {
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t first_write_seq = 0;  // 0 when nothing was accepted
  uint64_t last_write_seq = 0;
  std::string rejected_path;     // set when this run rejected rows
  // Rows an interrupted earlier run rejected from the files this run resumed (counted in
  // `rejected`), and where it wrote them.
  uint64_t earlier_rejected = 0;
  std::vector<std::string> earlier_rejected_paths;
  std::vector<std::string> ignored_columns;
  uint64_t resumed_records = 0;            // records skipped because an earlier run committed them
  std::vector<std::string> skipped_files;  // finished and unchanged since an earlier run
  double seconds = 0;
  // The online write runs beside the reading and offline writing: its total time, and how
  // long the rest waited for it (so the offline side took seconds - online_wait_seconds).
  double online_seconds = 0;
  double online_wait_seconds = 0;
};

Result<IngestSummary> IngestFiles(FeatureRepository& repo, const FeatureGroupDef& group,
                                  const std::vector<std::string>& files, const IngestOptions& options = {});

// The same for a stream of record batches in memory (named `name` in messages and dead
// letters). There is no checkpoint: an interrupted call commits a prefix of the stream, and
// calling again writes every row again.
Result<IngestSummary> IngestStream(FeatureRepository& repo, const FeatureGroupDef& group,
                                   std::shared_ptr<arrow::RecordBatchReader> batches, const std::string& name,
                                   const IngestOptions& options = {});

}  // namespace strata
