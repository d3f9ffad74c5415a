#pragma once
// Writes a stream of rows (several groups, from partitioned sources such as Kafka) into both
// stores exactly once, with fresh data online at every batch and few, large offline files.
//
// The order is the reverse of GroupWriter's (offline first): a batch goes online at once, in
// one atomic write that also records (a) the source positions after it and (b) the batch's
// rows in their offline form (Arrow IPC) under pending-offline keys. Offline commits happen
// every `commit_rows` rows or `commit_interval` (one snapshot per group, recording the
// positions and the highest write_seq), on a background thread so that consumption goes on,
// and then delete the pending keys. After a crash,
// Open finds the pending batches the offline tables lack (write_seq above the table's
// highest) and commits them: both stores end up with every row once, with the same write_seq,
// and the source resumes from the positions stored online.

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "strata/core/status.h"
#include "strata/offline/row_batch_builder.h"
#include "strata/store/feature_repository.h"

namespace strata {

struct StreamWriterOptions {
  std::string name = "default";  // the stream's id: its positions and pending batches are under it
  int64_t commit_rows = 500'000;  // offline: commit when this many rows are pending...
  std::chrono::milliseconds commit_interval{10'000};  // ...or the oldest pending row is this old
  // Told how long each offline commit took (on the committing thread), e.g. for a histogram.
  std::function<void(double seconds)> on_offline_commit;
};

struct StreamRecovery {
  uint64_t batches = 0;  // pending batches found
  uint64_t rows_committed_offline = 0;  // rows the offline tables lacked, committed now
};

class StreamWriter {
 public:
  // Recovers what a previous process left pending (see above) before returning.
  static Result<std::unique_ptr<StreamWriter>> Open(FeatureRepository& repo, StreamWriterOptions options);
  // Recovers the pending batches of every stream that left some (a process about to write
  // the repository otherwise, whose commits must not overtake them).
  static Status RecoverAll(FeatureRepository& repo);
  // The positions stored for stream `name`, without opening a writer for it.
  static Result<std::map<std::string, std::string>> StoredPositions(FeatureRepository& repo, const std::string& name);
  // Waits for an offline commit in flight, but leaves pending rows pending (the next Open
  // recovers them): call CommitOffline for a clean stop.
  ~StreamWriter();

  // Stages rows of `group` for the next Write (validating their keys).
  Status Stage(const FeatureGroupDef& group, std::span<const FeatureRow> rows);
  // Drops the staged rows (a Stage that failed halfway): the next Write does not see them.
  void DiscardStaged();

  // Writes the staged rows online with `positions` (source position -> value, e.g. the next
  // offset of a partition) in one atomic batch; commits offline when due. Positions may be
  // given with no rows (records that were all rejected). `written_online`, if given, tells an
  // error after the online write (a failed offline commit) from one that wrote nothing. After
  // a failed offline commit, reopen the writer: its recovery commits the failed rows, which a
  // later commit of this writer would leave behind (they are below the table's highest then).
  Status Write(const std::map<std::string, std::string>& positions, bool* written_online = nullptr);

  // Starts an offline commit if one is due (commit_rows pending, or the oldest pending row is
  // commit_interval old): Write does this, and an idle source should too, so that its last
  // rows reach the offline tables on time even when nothing follows them. An error is the
  // previous commit's: reopen the writer (see Write).
  Status CommitIfDue();

  // Commits every pending row offline now and waits (e.g. before giving up partitions).
  Status CommitOffline();
  // Waits for the offline commit in flight, if any (Write starts them in the background).
  Status WaitForOfflineCommit();

  // The positions stored by Write (the last value of each), with keys starting with `prefix`.
  Result<std::map<std::string, std::string>> Positions(const std::string& prefix = "") const;

  const std::string& name() const { return options_.name; }
  const StreamRecovery& recovery() const { return recovery_; }
  int64_t pending_offline_rows() const { return pending_rows_; }
  uint64_t offline_commits() const { return offline_commits_.load(); }

 private:
  struct Staged {
    const FeatureGroupDef* group;
    std::unique_ptr<RowBatchBuilder> builder;
    std::vector<OnlineWrite> online;
    std::vector<FeatureRow> pending_rows;  // the same rows, for the offline batch
  };
  struct Pending {
    std::string key;  // its pending-offline metadata key
    std::shared_ptr<arrow::RecordBatch> batch;
    uint64_t last_seq;
  };
  StreamWriter(FeatureRepository& repo, StreamWriterOptions options) : repo_(repo), options_(std::move(options)) {}
  Status Recover();
  // Hands the pending batches to a background commit (after the previous one finished): the
  // stream keeps consuming while Parquet files are written and the snapshot committed.
  Status StartOfflineCommit();
  Status CommitPending(std::map<std::string, std::vector<Pending>> pending, std::string positions);  // timed
  Status CommitPendingGroups(std::map<std::string, std::vector<Pending>> pending, std::string positions);
  std::string Prefix(const std::string& kind) const;

  FeatureRepository& repo_;
  StreamWriterOptions options_;
  std::map<std::string, Staged> staged_;  // by group name
  int64_t staged_rows_ = 0;
  std::map<std::string, std::vector<Pending>> pending_;  // by group name
  std::map<std::string, std::string> last_positions_;
  int64_t pending_rows_ = 0;
  std::chrono::steady_clock::time_point oldest_pending_;
  std::atomic<uint64_t> offline_commits_{0};
  std::future<Status> offline_in_flight_;
  StreamRecovery recovery_;
};

}  // namespace strata
