#pragma once
// Feature logging: every logged response goes, off the request path, to the offline Iceberg
// table `_feature_log`, one row per (request, entity key):
//   request_id (string), request_time (timestamp), write_seq, entity, entity_key (as text),
//   features (a JSON object: "group:feature" -> the value served, null where none was).
// A training set joins it with labels by request_id (and entity_key). Requests hand over
// the Arrow columns they already read (no copy); a background thread encodes and commits them
// in batches. When the queue is full (in records or in the bytes their columns hold) a record is
// dropped and counted: logging never stalls serving, nor lets a lagging log eat the memory.

#include <arrow/type_fwd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/core/value.h"
#include "strata/offline/offline_store.h"

namespace strata::serving {

struct LoggedColumn {
  std::string name;          // "group:feature"
  size_t entity_index = 0;   // into LogRecord::entities
  std::shared_ptr<arrow::Array> values;
  int32_t last_n = 0;        // sequences: the newest N elements of each list were served
};

struct LoggedEntity {
  std::string name;
  std::vector<Value> keys;
};

struct LogRecord {
  std::string request_id;
  int64_t request_time = 0;
  std::vector<LoggedEntity> entities;
  std::vector<LoggedColumn> columns;
  int64_t bytes = 0;  // what it holds in memory while queued (set by FeatureLogger::Log)
};

struct FeatureLoggerOptions {
  // Queue bounds, in records and in the bytes their columns hold: beyond either, records drop.
  size_t max_pending_records = 10'000;
  int64_t max_pending_bytes = int64_t{256} << 20;
  int64_t commit_rows = 200'000;       // rows per snapshot at most
  int64_t commit_interval_ms = 5'000;  // commit at least this often when rows are pending
};

class FeatureLogger {
 public:
  static Result<std::unique_ptr<FeatureLogger>> Start(const OfflineStoreOptions& offline, FeatureLoggerOptions options);
  ~FeatureLogger();  // Stops (flushing what is queued).

  // Never blocks on I/O: queues the record, or drops it (counted) when the queue is full.
  // Records a failed write or commit loses are counted as dropped too.
  void Log(LogRecord record);
  // Commits everything queued so far; returns the first error the writer met, if any.
  Status Flush();
  Status Stop();

  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t rows_written() const { return rows_written_.load(std::memory_order_relaxed); }
  uint64_t commits() const { return commits_.load(std::memory_order_relaxed); }
  size_t pending() const;
  int64_t pending_bytes() const;
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  FeatureLogger(std::unique_ptr<OfflineStore> offline, FeatureLoggerOptions options);
  void Run();
  Status WriteRecords(std::vector<LogRecord>* records);
  Status CommitPending();

  std::unique_ptr<OfflineStore> offline_;
  FeatureLoggerOptions options_;
  uint64_t next_write_seq_ = 1;
  std::unique_ptr<OfflineAppend> append_;  // the snapshot being filled (writer thread only)
  int64_t append_rows_ = 0;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  std::deque<LogRecord> queue_;
  int64_t queue_bytes_ = 0;
  uint64_t append_records_ = 0;  // records in the snapshot being filled (writer thread only)
  bool stopping_ = false;
  uint64_t flush_requested_ = 0, flush_done_ = 0;
  Status first_error_;
  std::thread thread_;

  std::atomic<uint64_t> dropped_{0}, rows_written_{0}, commits_{0}, errors_{0};
};

}  // namespace strata::serving
