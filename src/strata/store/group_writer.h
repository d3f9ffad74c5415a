#pragma once
// Writes rows of one feature group into both stores with the same write_seq. Rows are
// appended to open offline data files and held, encoded, for the online store; Commit first
// commits the offline snapshot (which records the highest write_seq and the source
// positions), then applies the rows online in batches, the last one carrying the metadata.
// A crash in between leaves the offline store ahead; FeatureRepository::Open replays the
// missing rows online, so both stores always end up with the same rows.
//
// The online write of a commit runs on a background thread, overlapping the reading, encoding
// and offline writing of the next rows (the two halves take similar time). Up to two commits'
// online writes are in flight, one after the other in commit order: a commit waits only for
// the one two before it, so neither half waits for the other when one commit takes longer.
//
// One GroupWriter per repository at a time (write_seq is assigned here).

#include <arrow/type_fwd.h>

#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "strata/core/status.h"
#include "strata/offline/offline_store.h"
#include "strata/offline/row_batch_builder.h"
#include "strata/store/feature_repository.h"

namespace strata {

// Where a GroupWriter's time went: the online writes run beside the caller's reading and
// offline writing, which waits for them only at the next Commit (and Finish).
struct GroupWriterTimes {
  double online_seconds = 0;       // spent in online writes (on their background thread)
  double online_wait_seconds = 0;  // the caller waited for an online write
};

// Valid rows of one group in columns (the columnar ingest path): the key (int64 or utf8, no
// nulls), the event time (int64 microseconds or timestamp[us], no nulls) and one array per
// group feature, each of ArrowTypeOf(its type) (nulls allowed), all of `rows` rows.
struct GroupColumns {
  int64_t rows = 0;
  std::shared_ptr<arrow::Array> key;
  std::shared_ptr<arrow::Array> event_time;
  std::vector<std::shared_ptr<arrow::Array>> features;

  // Rows [offset, offset + length), zero-copy.
  GroupColumns Slice(int64_t offset, int64_t length) const;
};

class GroupWriter {
 public:
  static Result<std::unique_ptr<GroupWriter>> Make(FeatureRepository& repo, const FeatureGroupDef& group);

  // Validates keys and assigns consecutive write_seq to `rows`, in order.
  Status Append(std::span<const FeatureRow> rows);
  // The same for rows already in columns: no per-row conversion on the offline side, and the
  // online rows are encoded column by column. Requires ColumnsEncodable(group.features).
  Status AppendColumns(const GroupColumns& columns);
  int64_t pending_rows() const { return static_cast<int64_t>(online_.size()); }

  // Commits the rows appended so far offline (durable on return) and queues their online
  // write, with `metadata` (e.g. source positions) recorded atomically with them, after waiting
  // for the online write of the commit two before. Returns the last write_seq written.
  Result<uint64_t> Commit(std::span<const MetadataEntry> metadata);
  // Waits for the online writes in flight: once it returns OK, every commit is in both stores.
  Status Finish();
  ~GroupWriter();

  // The last write_seq in both stores: the online writes of the commits up to it are done.
  uint64_t online_write_seq() const { return online_write_seq_; }

  // Complete once Finish returned.
  GroupWriterTimes times() const { return {online_seconds_->load(), online_wait_seconds_}; }

 private:
  GroupWriter(FeatureRepository& repo, const FeatureGroupDef& group) : repo_(repo), group_(group) {}
  Status FlushBatch();

  // An online write's outcome, with its rows' vector (emptied) to be filled again: a fresh
  // vector per commit (~90 MB at 1M rows) had the kernel zero new pages for it every time.
  struct OnlineOutcome {
    Status status;
    std::vector<OnlineWrite> spare;
    uint64_t last_write_seq = 0;
  };
  static constexpr size_t kOnlineDepth = 2;  // online writes in flight at most
  // Waits for the oldest online write in flight.
  Status CollectOldest();

  FeatureRepository& repo_;
  const FeatureGroupDef& group_;
  std::unique_ptr<RowBatchBuilder> builder_;
  std::unique_ptr<OfflineAppend> append_;
  std::vector<OnlineWrite> online_;
  std::vector<std::vector<OnlineWrite>> spares_;  // back from finished online writes
  // Commit's sort, kept from commit to commit for the same reason.
  std::vector<std::string> sort_keys_;
  std::vector<OnlineWrite> sorted_;
  std::deque<std::future<OnlineOutcome>> in_flight_;  // oldest first
  std::shared_future<void> newest_done_;  // ready once the newest online write has ended
  uint64_t next_seq_ = 0;
  uint64_t online_write_seq_ = 0;
  // Shared with the online write threads (which may outlive a failed writer's Finish).
  std::shared_ptr<std::atomic<double>> online_seconds_ = std::make_shared<std::atomic<double>>(0);
  std::shared_ptr<std::atomic<bool>> online_failed_ = std::make_shared<std::atomic<bool>>(false);
  double online_wait_seconds_ = 0;
};

// Applies `writes` to the online store in bounded batches; each batch records the highest
// write_seq it holds, the last one `last_write_seq` and `metadata`. Each batch's rows must be
// the next range of write_seq (in any order within it): sorted by write_seq, or so sorted and
// then reordered within each batch.
Status WriteOnlineInBatches(OnlineStore& online, std::span<const OnlineWrite> writes, uint64_t last_write_seq,
                            std::span<const MetadataEntry> metadata);

}  // namespace strata
