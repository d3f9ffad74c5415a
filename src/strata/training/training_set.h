#pragma once
// Point-in-time-correct training sets (rule 7 of DESIGN.md): for every spine row, each
// requested feature as it was at the row's time. A Grace hash join: the spine's (key, time)
// pairs and the feature histories are split by key hash into partitions sized to the memory
// limit (spilled to disk when they do not fit), each partition is joined on its own thread
// by binary search over per-key sorted histories, and the results are merged back into the
// spine's row order while the spine is streamed a second time.

#include <arrow/type_fwd.h>

#include <memory>
#include <string>
#include <vector>

#include "strata/core/status.h"
#include "strata/store/feature_repository.h"
#include "strata/training/feature_refs.h"
#include "strata/training/spine_source.h"

namespace strata::training {

struct TrainingSetOptions {
  std::string timestamp_column = "ts";
  int64_t memory_limit = int64_t{4} << 30;  // bytes
  int threads = 0;                          // 0: every core
  // Which snapshot of the offline tables to read: "" (the current ones), a snapshot id of
  // one of the tables (the others are read as they were when it was committed), or
  // "group=ID[,group=ID...]".
  std::string snapshot;
  std::string spill_dir;  // default: <repo>/.strata/tmp
  int partitions = 0;     // key-hash partitions; 0: as many as the memory limit needs
};

struct TrainingSetStats {
  int64_t spine_rows = 0;
  int64_t feature_rows = 0;  // history rows read from the offline tables
  int partitions = 0;
  int64_t spilled_bytes = 0;
  double index_seconds = 0;  // reading the spine and the feature histories
  double join_seconds = 0;
};

// Validates the spine and the requests, runs the join and returns a reader that yields
// the training set in the spine's row order: the spine's columns, then one column per
// requested feature. Invalid input fails here, before any feature data is read.
Result<std::shared_ptr<arrow::RecordBatchReader>> BuildTrainingSet(FeatureRepository& repo, const SpineSource& spine,
                                                                   const std::vector<GroupRequest>& requests,
                                                                   const TrainingSetOptions& options,
                                                                   TrainingSetStats* stats = nullptr);

}  // namespace strata::training
