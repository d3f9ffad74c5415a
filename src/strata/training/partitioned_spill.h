#pragma once
// Record batches of one schema, split into P partitions, held in memory until their total
// exceeds a budget, then written to Arrow IPC files (one per partition) and read back in the
// order they were appended. This is what lets a training set be built from spines and
// feature histories larger than memory.

#include <arrow/type_fwd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "strata/core/status.h"

namespace strata::training {

// The memory several spills may hold between them before they write to disk.
struct SpillBudget {
  explicit SpillBudget(int64_t bytes) : limit(bytes) {}
  const int64_t limit;
  std::atomic<int64_t> in_memory{0};
};

class PartitionedSpill {
 public:
  // Files go to `dir` (created on demand, removed with the spill).
  PartitionedSpill(std::shared_ptr<arrow::Schema> schema, int partitions, std::string dir,
                   std::shared_ptr<SpillBudget> budget);
  ~PartitionedSpill();
  PartitionedSpill(const PartitionedSpill&) = delete;
  PartitionedSpill& operator=(const PartitionedSpill&) = delete;

  // Thread-safe across partitions and within one.
  Status Append(int partition, std::shared_ptr<arrow::RecordBatch> batch);
  // Ends writing (closes the spill files); then partitions can be read.
  Status Finish();

  // Every batch of a partition, in order (one partition at a time per thread).
  Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> ReadAll(int partition) const;
  // Reads a partition batch by batch, in order.
  class Cursor {
   public:
    virtual ~Cursor() = default;
    virtual Result<std::shared_ptr<arrow::RecordBatch>> Next() = 0;  // nullptr at the end
  };
  Result<std::unique_ptr<Cursor>> OpenCursor(int partition) const;
  // Frees a partition's in-memory batches once it has been read for the last time.
  void Release(int partition);

  int partitions() const { return static_cast<int>(parts_.size()); }
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }
  int64_t spilled_bytes() const { return spilled_bytes_; }

 private:
  struct Part;
  Status SpillLocked(Part& part);

  std::shared_ptr<arrow::Schema> schema_;
  std::string dir_;
  std::shared_ptr<SpillBudget> budget_;
  std::vector<std::unique_ptr<Part>> parts_;
  std::atomic<int64_t> spilled_bytes_{0};
};

// The in-memory size of a batch's buffers (slices count in full).
int64_t BatchBytes(const arrow::RecordBatch& batch);

}  // namespace strata::training
