#pragma once
// The training-data loader: reads a training set's units on worker threads, normalizes them,
// and assembles shuffled batches of host tensors ahead of the trainer, in a deterministic
// order for a given (seed, epoch, shard). Memory stays bounded: at most the current and next
// shuffle windows are decoded, and at most `prefetch_batches` batches wait to be taken.

#include <arrow/type_fwd.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "strata/core/status.h"
#include "strata/loader/batch.h"
#include "strata/loader/batch_assembler.h"
#include "strata/loader/epoch_plan.h"
#include "strata/loader/loader_spec.h"
#include "strata/loader/recycling_memory_pool.h"
#include "strata/loader/unit_source.h"

namespace strata::loader {

struct LoaderOptions {
  int64_t batch_size = 1024;
  bool drop_last = false;  // drop this shard's last, partial batch
  PlanOptions plan;        // shuffle, seed, shuffle buffer, shard of num_shards
  int threads = 0;         // worker threads; 0: one per core
  int prefetch_batches = 4;
};

class BatchLoader {
 public:
  // Over Parquet files (or directories of them).
  static Result<std::unique_ptr<BatchLoader>> Open(const std::vector<std::string>& paths, const LoaderSpec& spec,
                                                   const LoaderOptions& options);
  // Over a table in memory, in units of `unit_rows`.
  static Result<std::unique_ptr<BatchLoader>> Open(std::shared_ptr<arrow::Table> table, const LoaderSpec& spec,
                                                   const LoaderOptions& options, int64_t unit_rows = 65536);
  ~BatchLoader();

  int64_t num_rows() const;  // in all shards
  // Rows and batches this shard reads in `epoch`.
  int64_t ShardRows(int64_t epoch) const;
  int64_t ShardBatches(int64_t epoch) const;

  // Starts reading `epoch` at row `start_row` of this shard's stream (a resume position: the
  // `end_row` of the last batch consumed). Stops any epoch in progress.
  Status Start(int64_t epoch, int64_t start_row = 0);
  // The next batch in order, or nullopt at the end of the epoch. Blocks until one is ready.
  Result<std::optional<Batch>> Next();

 private:
  struct Job {
    int64_t seq = 0;
    int64_t end_row = 0;
    std::vector<RowRef> rows;
    std::vector<std::shared_ptr<DecodedUnit>> keep;  // the units `rows` point into
  };

  BatchLoader(std::unique_ptr<UnitSource> source, std::vector<ResolvedColumn> columns, const LoaderSpec& spec,
              const LoaderOptions& options);
  void Stop();
  void Coordinate(EpochPlan plan, int64_t start_row);
  void Work();
  // Queues decodes of the plan's units up to the look-ahead bound. Holds mu_.
  void TopUpDecodes(const EpochPlan& plan, int window);
  void Emit(Job job, std::unique_lock<std::mutex>& lock);

  std::unique_ptr<UnitSource> source_;
  std::shared_ptr<RecyclingMemoryPool> pool_;  // decoded units and batch tensors
  std::vector<ResolvedColumn> columns_;
  std::vector<int> fields_;          // distinct source fields read, sorted
  std::vector<size_t> field_slot_;   // per column: its index in fields_
  BatchAssembler assembler_;
  LoaderOptions options_;
  int threads_ = 1;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  Status error_;
  // Decoding: unit positions (window, index in window) waiting, and units decoded.
  struct DecodeTask {
    int window = 0, index = 0;  // position in the plan
    int unit = 0;               // the source unit
  };
  std::deque<DecodeTask> decode_queue_;
  int decode_window_ = 0, decode_index_ = 0;       // the next unit to queue
  int units_in_flight_ = 0;                        // queued or decoded, not yet taken by the coordinator
  std::map<std::pair<int, int>, std::shared_ptr<DecodedUnit>> decoded_;
  // Assembly: jobs waiting, batches ready, and the order they are handed out in.
  std::deque<Job> jobs_;
  std::map<int64_t, Batch> ready_;
  int64_t next_out_ = 0;
  int64_t emitted_ = 0;
  bool all_emitted_ = false;

  std::thread coordinator_;
  std::vector<std::thread> workers_;
};

}  // namespace strata::loader
