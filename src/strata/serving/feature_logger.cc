#include "strata/serving/feature_logger.h"

#include <arrow/array.h>
#include <arrow/record_batch.h>
#include <arrow/util/byte_size.h>

#include <pthread.h>
#include <sched.h>

#include <chrono>

#include "strata/core/arrow_json.h"
#include "strata/offline/row_batch_builder.h"
#include "strata/store/feature_log_table.h"

namespace strata::serving {

namespace {

constexpr int64_t kBatchRows = 16'384;

// The memory a queued record keeps alive: its columns' buffers (whole, as a request's reads
// own them) and its keys.
int64_t RecordBytes(const LogRecord& r) {
  int64_t bytes = static_cast<int64_t>(sizeof(LogRecord) + r.request_id.size());
  for (const auto& c : r.columns) bytes += c.values ? arrow::util::TotalBufferSize(*c.values->data()) : 0;
  for (const auto& e : r.entities)
    for (const auto& k : e.keys) {
      bytes += static_cast<int64_t>(sizeof(Value));
      if (const auto* s = std::get_if<std::string>(&k)) bytes += static_cast<int64_t>(s->size());
    }
  return bytes;
}

std::string KeyText(const Value& key) {
  if (const auto* i = std::get_if<int64_t>(&key)) return std::to_string(*i);
  if (const auto* s = std::get_if<std::string>(&key)) return *s;
  return "";
}

}  // namespace

Result<std::unique_ptr<FeatureLogger>> FeatureLogger::Start(const OfflineStoreOptions& offline,
                                                            FeatureLoggerOptions options) {
  STRATA_ASSIGN_OR_RETURN(auto store, OfflineStore::Open(offline));
  STRATA_RETURN_NOT_OK(store->SyncGroup(FeatureLogEntity(), FeatureLogGroup()));
  STRATA_ASSIGN_OR_RETURN(uint64_t max_seq, store->MaxWriteSeq(FeatureLogEntity(), FeatureLogGroup()));
  std::unique_ptr<FeatureLogger> logger(new FeatureLogger(std::move(store), options));
  logger->next_write_seq_ = max_seq + 1;
  logger->thread_ = std::thread([l = logger.get()] { l->Run(); });
  return logger;
}

FeatureLogger::FeatureLogger(std::unique_ptr<OfflineStore> offline, FeatureLoggerOptions options)
    : offline_(std::move(offline)), options_(options) {}

FeatureLogger::~FeatureLogger() { (void)Stop(); }

void FeatureLogger::Log(LogRecord record) {
  record.bytes = RecordBytes(record);
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_pending_records ||
        queue_bytes_ + record.bytes > options_.max_pending_bytes) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_bytes_ += record.bytes;
    queue_.push_back(std::move(record));
  }
  wake_.notify_one();
}

size_t FeatureLogger::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

int64_t FeatureLogger::pending_bytes() const {
  std::lock_guard lock(mu_);
  return queue_bytes_;
}

Status FeatureLogger::Flush() {
  std::unique_lock lock(mu_);
  if (!thread_.joinable()) return first_error_;
  const uint64_t ticket = ++flush_requested_;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return flush_done_ >= ticket; });
  return first_error_;
}

Status FeatureLogger::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return first_error_;
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  return first_error_;
}

void FeatureLogger::Run() {
  // Below the request threads (SCHED_IDLE: it runs only when they leave a CPU free): the log
  // takes the CPU they do not need, and when that is not enough it falls behind and drops
  // (counted) rather than slowing requests. While someone waits for a flush it runs as they do.
  bool idle = false;
  auto run_idle = [&idle](bool on) {
    if (on == idle) return;
    sched_param param{};
    pthread_setschedparam(pthread_self(), on ? SCHED_IDLE : SCHED_OTHER, &param);
    idle = on;
  };
  run_idle(true);
  using Clock = std::chrono::steady_clock;
  auto last_commit = Clock::now();
  const auto interval = std::chrono::milliseconds(options_.commit_interval_ms);
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait_for(lock, interval, [&] { return stopping_ || !queue_.empty() || flush_requested_ > flush_done_; });
    // A batch of about kBatchRows rows: small enough that the allocator hands its builders'
    // memory back batch after batch, where 1k responses (~100 MB) took fresh, zeroed pages from
    // the kernel each time.
    std::vector<LogRecord> batch;
    int64_t batch_rows = 0;
    while (!queue_.empty() && batch_rows < kBatchRows) {
      for (const auto& e : queue_.front().entities) batch_rows += static_cast<int64_t>(e.keys.size());
      queue_bytes_ -= queue_.front().bytes;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    const bool drain = stopping_ || flush_requested_ > flush_done_;
    run_idle(!drain);
    const uint64_t ticket = flush_requested_;
    const bool more = !queue_.empty();
    lock.unlock();
    const uint64_t batch_records = batch.size();
    Status st = WriteRecords(&batch);
    if (!st.ok()) {
      // The snapshot being filled may hold half a batch: give it up, and count what it held.
      dropped_.fetch_add(batch_records + append_records_, std::memory_order_relaxed);
      append_.reset();
      append_rows_ = 0;
      append_records_ = 0;
    } else {
      append_records_ += batch_records;
    }
    if (st.ok() && append_rows_ > 0 &&
        ((!more && drain) || append_rows_ >= options_.commit_rows || Clock::now() - last_commit >= interval)) {
      st = CommitPending();
      last_commit = Clock::now();
    }
    lock.lock();
    if (!st.ok()) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      if (first_error_.ok()) first_error_ = st;
    }
    if (drain && queue_.empty()) {
      flush_done_ = ticket;
      flushed_.notify_all();
      if (stopping_) return;
    }
  }
}

Status FeatureLogger::WriteRecords(std::vector<LogRecord>* records) {
  if (records->empty()) return Status::OK();
  const EntityDef& entity = FeatureLogEntity();
  const FeatureGroupDef& group = FeatureLogGroup();
  if (!append_) {
    STRATA_ASSIGN_OR_RETURN(append_, offline_->NewAppend(entity, group));
    append_rows_ = 0;
  }
  RowBatchBuilder builder(entity, group);
  std::vector<Value> features(3);
  std::vector<std::string> names;  // each column's `"name":`, once per record
  std::string values;
  for (const LogRecord& r : *records) {
    names.clear();
    for (const auto& c : r.columns) {
      names.emplace_back();
      AppendJsonString(c.name, &names.back());
      names.back() += ':';
    }
    for (size_t e = 0; e < r.entities.size(); ++e) {
      const LoggedEntity& ent = r.entities[e];
      for (size_t k = 0; k < ent.keys.size(); ++k) {
        values.assign("{");
        for (size_t i = 0; i < r.columns.size(); ++i) {
          const LoggedColumn& c = r.columns[i];
          if (c.entity_index != e) continue;
          if (values.size() > 1) values += ',';
          values += names[i];
          AppendJsonCell(*c.values, static_cast<int64_t>(k), &values, c.last_n > 0 ? c.last_n : -1);
        }
        values += '}';
        features[0] = ent.name;
        features[1] = KeyText(ent.keys[k]);
        features[2] = std::move(values);
        builder.Append(Value{r.request_id}, r.request_time, static_cast<int64_t>(next_write_seq_++), features);
      }
    }
  }
  STRATA_ASSIGN_OR_RETURN(auto batch, builder.Finish());
  STRATA_RETURN_NOT_OK(append_->Write(batch));
  append_rows_ += batch->num_rows();
  records->clear();
  return Status::OK();
}

Status FeatureLogger::CommitPending() {
  if (!append_) return Status::OK();
  std::map<std::string, std::string> properties{{kMaxWriteSeqProperty, std::to_string(next_write_seq_ - 1)}};
  auto committed = append_->Commit(properties);
  const int64_t rows = append_rows_;
  const uint64_t records = append_records_;
  append_.reset();
  append_rows_ = 0;
  append_records_ = 0;
  if (!committed.ok()) {
    dropped_.fetch_add(records, std::memory_order_relaxed);
    return committed.status().WithContext("committing the feature log");
  }
  rows_written_.fetch_add(rows, std::memory_order_relaxed);
  commits_.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

}  // namespace strata::serving
