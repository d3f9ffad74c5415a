#pragma once
// The last phase of a training set: streams the spine a second time and, batch by batch,
// puts each group's joined values (produced per partition, in spine order within each
// partition) back into the spine's row order next to the passthrough columns.

#include <arrow/type_fwd.h>

#include <memory>
#include <string>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/training/partitioned_spill.h"

namespace strata::training {

struct MergedGroup {
  EntityDef entity;  // a copy: the reader may outlive the repository it was built from
  std::unique_ptr<PartitionedSpill> results;   // finished; one row per keyed spine row
};

// `spill_dir` is removed when the reader is destroyed.
Result<std::shared_ptr<arrow::RecordBatchReader>> MakeTrainingSetReader(std::shared_ptr<arrow::RecordBatchReader> spine,
                                                                        std::vector<MergedGroup> groups, int partitions,
                                                                        std::string spill_dir);

}  // namespace strata::training
