#include "strata/loader/batch_loader.h"

#include <arrow/table.h>

#include <algorithm>
#include <utility>

namespace strata::loader {

namespace {

Result<std::vector<ResolvedColumn>> Resolve(const UnitSource& source, const LoaderSpec& spec, const LoaderOptions& options) {
  if (options.batch_size <= 0) return Status::InvalidArgument("batch_size must be positive");
  if (options.plan.num_shards <= 0 || options.plan.shard < 0 || options.plan.shard >= options.plan.num_shards)
    return Status::InvalidArgument("shard " + std::to_string(options.plan.shard) + " of " +
                                   std::to_string(options.plan.num_shards) + " does not exist");
  if (options.plan.shuffle_buffer_rows < 0) return Status::InvalidArgument("the shuffle buffer must not be negative");
  return ResolveColumns(spec, *source.schema());
}

}  // namespace

Result<std::unique_ptr<BatchLoader>> BatchLoader::Open(const std::vector<std::string>& paths, const LoaderSpec& spec,
                                                       const LoaderOptions& options) {
  STRATA_ASSIGN_OR_RETURN(auto source, OpenParquetUnits(paths));
  STRATA_ASSIGN_OR_RETURN(auto columns, Resolve(*source, spec, options));
  return std::unique_ptr<BatchLoader>(new BatchLoader(std::move(source), std::move(columns), spec, options));
}

Result<std::unique_ptr<BatchLoader>> BatchLoader::Open(std::shared_ptr<arrow::Table> table, const LoaderSpec& spec,
                                                       const LoaderOptions& options, int64_t unit_rows) {
  auto source = TableUnits(std::move(table), unit_rows);
  STRATA_ASSIGN_OR_RETURN(auto columns, Resolve(*source, spec, options));
  return std::unique_ptr<BatchLoader>(new BatchLoader(std::move(source), std::move(columns), spec, options));
}

BatchLoader::BatchLoader(std::unique_ptr<UnitSource> source, std::vector<ResolvedColumn> columns, const LoaderSpec& spec,
                         const LoaderOptions& options)
    : source_(std::move(source)),
      pool_(std::make_shared<RecyclingMemoryPool>()),
      columns_(std::move(columns)),
      assembler_(columns_, spec.dense_mask, pool_),
      options_(options) {
  threads_ = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const auto& c : columns_) fields_.push_back(c.field);
  std::sort(fields_.begin(), fields_.end());
  fields_.erase(std::unique(fields_.begin(), fields_.end()), fields_.end());
  for (const auto& c : columns_)
    field_slot_.push_back(static_cast<size_t>(std::lower_bound(fields_.begin(), fields_.end(), c.field) - fields_.begin()));
}

BatchLoader::~BatchLoader() { Stop(); }

int64_t BatchLoader::num_rows() const {
  int64_t rows = 0;
  for (const auto& u : source_->units()) rows += u.rows;
  return rows;
}

int64_t BatchLoader::ShardRows(int64_t epoch) const { return EpochPlan::Make(source_->units(), options_.plan, epoch).rows(); }

int64_t BatchLoader::ShardBatches(int64_t epoch) const {
  const int64_t rows = ShardRows(epoch);
  return options_.drop_last ? rows / options_.batch_size : (rows + options_.batch_size - 1) / options_.batch_size;
}

void BatchLoader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (coordinator_.joinable()) coordinator_.join();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

Status BatchLoader::Start(int64_t epoch, int64_t start_row) {
  Stop();
  EpochPlan plan = EpochPlan::Make(source_->units(), options_.plan, epoch);
  if (start_row < 0 || start_row > plan.rows())
    return Status::InvalidArgument("resume position " + std::to_string(start_row) + " is outside this shard's " +
                                   std::to_string(plan.rows()) + " rows of epoch " + std::to_string(epoch));
  stop_ = false;
  error_ = Status::OK();
  decode_queue_.clear();
  decoded_.clear();
  jobs_.clear();
  ready_.clear();
  next_out_ = emitted_ = 0;
  all_emitted_ = false;
  decode_window_ = plan.WindowAt(start_row);
  decode_index_ = 0;
  units_in_flight_ = 0;
  for (int i = 0; i < threads_; ++i) workers_.emplace_back([this] { Work(); });
  coordinator_ = std::thread([this, plan = std::move(plan), start_row]() mutable { Coordinate(std::move(plan), start_row); });
  return Status::OK();
}

Result<std::optional<Batch>> BatchLoader::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  if (workers_.empty()) return Status::FailedPrecondition("the loader was not started");
  cv_.wait(lock, [&] { return !error_.ok() || ready_.count(next_out_) > 0 || (all_emitted_ && next_out_ == emitted_); });
  if (!error_.ok()) return error_;
  if (all_emitted_ && next_out_ == emitted_) return std::optional<Batch>();
  auto it = ready_.find(next_out_);
  Batch batch = std::move(it->second);
  ready_.erase(it);
  ++next_out_;
  cv_.notify_all();  // room for one more batch
  return std::optional<Batch>(std::move(batch));
}

void BatchLoader::TopUpDecodes(const EpochPlan& plan, int window) {
  // Look ahead by the current and the next window, and by at least one unit per thread.
  const auto& windows = plan.windows();
  size_t limit = static_cast<size_t>(threads_) + 1;
  if (window < static_cast<int>(windows.size())) {
    size_t ahead = windows[static_cast<size_t>(window)].units.size();
    if (window + 1 < static_cast<int>(windows.size())) ahead += windows[static_cast<size_t>(window) + 1].units.size();
    limit = std::max(limit, ahead);
  }
  bool queued = false;
  while (units_in_flight_ < static_cast<int>(limit) && decode_window_ < static_cast<int>(windows.size())) {
    const auto& units = windows[static_cast<size_t>(decode_window_)].units;
    decode_queue_.push_back({decode_window_, decode_index_, units[static_cast<size_t>(decode_index_)]});
    ++units_in_flight_;
    queued = true;
    if (++decode_index_ == static_cast<int>(units.size())) {
      ++decode_window_;
      decode_index_ = 0;
    }
  }
  if (queued) cv_.notify_all();
}

void BatchLoader::Emit(Job job, std::unique_lock<std::mutex>& lock) {
  // Bounded: batches being built or waiting to be taken.
  const int64_t bound = options_.prefetch_batches + threads_;
  cv_.wait(lock, [&] { return stop_ || !error_.ok() || emitted_ - next_out_ < bound; });
  if (stop_ || !error_.ok()) return;
  job.seq = emitted_++;
  jobs_.push_back(std::move(job));
  cv_.notify_all();
}

void BatchLoader::Coordinate(EpochPlan plan, int64_t start_row) {
  const int64_t batch = options_.batch_size;
  const auto& windows = plan.windows();
  std::unique_lock<std::mutex> lock(mu_);
  Job pending;  // rows not yet making a full batch, possibly from the previous window
  int64_t position = start_row;
  for (int w = plan.WindowAt(start_row); w < static_cast<int>(windows.size()); ++w) {
    const Window& window = windows[static_cast<size_t>(w)];
    TopUpDecodes(plan, w);
    const int n = static_cast<int>(window.units.size());
    cv_.wait(lock, [&] {
      if (stop_ || !error_.ok()) return true;
      for (int i = 0; i < n; ++i)
        if (decoded_.count({w, i}) == 0) return false;
      return true;
    });
    if (stop_ || !error_.ok()) return;
    std::vector<std::shared_ptr<DecodedUnit>> units;
    for (int i = 0; i < n; ++i) {
      auto it = decoded_.find({w, i});
      units.push_back(std::move(it->second));
      decoded_.erase(it);
    }
    units_in_flight_ -= n;
    TopUpDecodes(plan, w + 1);
    lock.unlock();

    // The window's rows in unit order, then handed out in the plan's order.
    std::vector<RowRef> rows;
    rows.reserve(static_cast<size_t>(window.rows));
    for (int i = 0; i < n; ++i)
      for (int64_t r = 0; r < units[static_cast<size_t>(i)]->rows(); ++r)
        rows.push_back({units[static_cast<size_t>(i)].get(), r, window.units[static_cast<size_t>(i)]});
    const std::vector<uint32_t> order = plan.RowOrder(w);
    for (int64_t j = position - window.first_row; j < window.rows; ++j) {
      if (pending.rows.empty()) pending.rows.reserve(static_cast<size_t>(batch));
      pending.rows.push_back(rows[order[static_cast<size_t>(j)]]);
      if (static_cast<int64_t>(pending.rows.size()) == batch) {
        // Which rows make a batch is the shuffle; their order inside it is not (a gradient
        // sums over the batch). Gathering them in storage order is several times faster.
        if (options_.plan.shuffle) std::sort(pending.rows.begin(), pending.rows.end());
        pending.end_row = window.first_row + j + 1;
        pending.keep.insert(pending.keep.end(), units.begin(), units.end());
        lock.lock();
        Emit(std::exchange(pending, Job{}), lock);
        if (stop_ || !error_.ok()) return;
        lock.unlock();
      }
    }
    position = window.first_row + window.rows;
    if (!pending.rows.empty()) pending.keep.insert(pending.keep.end(), units.begin(), units.end());
    lock.lock();
  }
  if (!pending.rows.empty() && !options_.drop_last) {
    if (options_.plan.shuffle) std::sort(pending.rows.begin(), pending.rows.end());
    pending.end_row = plan.rows();
    Emit(std::move(pending), lock);
  }
  all_emitted_ = true;
  cv_.notify_all();
}

void BatchLoader::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !jobs_.empty() || !decode_queue_.empty(); });
    if (stop_) return;
    // Assemble while the trainer has fewer than two batches waiting; otherwise decode ahead,
    // so that reading the next shuffle window overlaps with assembling this one.
    if (!jobs_.empty() && (decode_queue_.empty() || ready_.size() < 2)) {
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      Batch b = assembler_.Assemble(job.rows);
      b.end_row = job.end_row;
      const int64_t seq = job.seq;
      job = Job{};  // lets go of the units before taking the lock
      lock.lock();
      ready_.emplace(seq, std::move(b));
      cv_.notify_all();
      continue;
    }
    const DecodeTask task = decode_queue_.front();
    decode_queue_.pop_front();
    lock.unlock();
    auto columns = source_->Read(task.unit, fields_, pool_.get());
    Result<std::shared_ptr<DecodedUnit>> decoded = columns.status();
    if (columns.ok()) {
      std::vector<std::shared_ptr<arrow::Array>> per_column;
      for (size_t slot : field_slot_) per_column.push_back((*columns)[slot]);
      decoded = DecodedUnit::Make(per_column, columns_, pool_.get());
    }
    lock.lock();
    if (!decoded.ok()) {
      if (error_.ok()) error_ = decoded.status();
    } else {
      decoded_.emplace(std::make_pair(task.window, task.index), std::move(*decoded));
    }
    cv_.notify_all();
  }
}

}  // namespace strata::loader
