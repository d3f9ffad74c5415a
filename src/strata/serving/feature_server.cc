#include "strata/serving/feature_server.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "strata/core/time.h"
#include "strata/serving/column_encoding.h"
#include "strata/serving/push_decoding.h"

namespace strata::serving {

namespace {

Outcome OutcomeOf(const Status& st) {
  if (st.ok()) return Outcome::kOk;
  return st.code() == StatusCode::kInvalidArgument ? Outcome::kInvalidArgument : Outcome::kError;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<std::unique_ptr<FeatureServer>> FeatureServer::Open(const std::string& repo_dir, FeatureServerOptions options) {
  STRATA_ASSIGN_OR_RETURN(auto repo, FeatureRepository::Open(repo_dir));
  std::unique_ptr<FeatureServer> server(new FeatureServer(std::move(repo), std::move(options)));
  server->log_by_default_ = server->options_.log_features.value_or(server->repo_->definition().serving.log_features);
  // Requests can ask for logging even when it is off by default: the logger always runs.
  STRATA_ASSIGN_OR_RETURN(server->logger_,
                          FeatureLogger::Start(server->repo_->offline_options(), server->options_.logger));
  server->id_prefix_ = fmt::format("{:x}-{:x}-", NowMicros(), static_cast<uint32_t>(getpid()));
  if (server->options_.stream) STRATA_RETURN_NOT_OK(server->StartStream());
  // What a crashed stream left pending goes offline before any other write can overtake it.
  else STRATA_RETURN_NOT_OK(StreamWriter::RecoverAll(*server->repo_));
  return server;
}

FeatureServer::~FeatureServer() {
  (void)StopStream();
  (void)StopRemoteStream();
}

Result<StreamWriter*> FeatureServer::RemoteStreamWriter(const std::string& name, int64_t commit_rows,
                                                        int64_t commit_interval_ms) {
  if (stream_)  // not FailedPrecondition: that says "unavailable, retry" to a client
    return Status::InvalidArgument("this server consumes stream '" + stream_->name() +
                                   "' itself (--stream); run remote consumers against a server without --stream");
  // One stream per server, also after its writer was dropped (until then its failed rows wait
  // for that stream's recovery, which no other writer's commit may overtake).
  if (!remote_stream_name_.empty() && remote_stream_name_ != name)
    return Status::InvalidArgument("this server takes stream '" + remote_stream_name_ +
                                   "' from remote consumers; stream '" + name + "' needs a server of its own");
  if (commit_rows > 0) remote_commit_rows_ = commit_rows;
  if (commit_interval_ms > 0) remote_commit_interval_ms_ = commit_interval_ms;
  if (remote_stream_) return remote_stream_.get();
  StreamWriterOptions o;
  o.name = name;
  if (remote_commit_rows_ > 0) o.commit_rows = remote_commit_rows_;
  if (remote_commit_interval_ms_ > 0) o.commit_interval = std::chrono::milliseconds(remote_commit_interval_ms_);
  auto writer = StreamWriter::Open(*repo_, o);
  if (!writer.ok()) return writer.status().WithContext("opening stream " + name);
  remote_stream_ = std::move(*writer);
  remote_stream_name_ = name;
  if (!remote_ticker_.joinable()) remote_ticker_ = std::thread([this] { RunRemoteCommitTicker(); });
  return remote_stream_.get();
}

void FeatureServer::RunRemoteCommitTicker() {
  std::unique_lock lock(push_mu_);
  while (!remote_ticker_stop_) {
    remote_ticker_cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (remote_ticker_stop_) break;
    if (!remote_stream_) continue;
    Status st = remote_stream_->CommitIfDue();
    if (!st.ok()) DropRemoteStreamWriter(st);
  }
}

void FeatureServer::DropRemoteStreamWriter(const Status& why) {
  ++remote_commit_failures_;
  std::cerr << "strata serve: an offline commit of stream " << remote_stream_->name() << " failed (" << why.ToString()
            << "); its rows stay pending online and are committed when the next batch reopens the stream" << std::endl;
  remote_stream_.reset();
}

Status FeatureServer::WriteRemoteStream(const std::map<std::string, std::string>& positions) {
  bool written = false;
  Status st = remote_stream_->Write(positions, &written);
  if (st.ok()) return st;
  remote_stream_->DiscardStaged();
  if (!written) return st;
  DropRemoteStreamWriter(st);
  return Status::OK();
}

// Commits the remote stream's pending rows offline (its consumers resume from the store's
// positions, whoever writes next).
Status FeatureServer::StopRemoteStream() {
  {
    std::lock_guard lock(push_mu_);
    remote_ticker_stop_ = true;
  }
  remote_ticker_cv_.notify_all();
  if (remote_ticker_.joinable()) remote_ticker_.join();
  std::lock_guard lock(push_mu_);
  if (!remote_stream_) return Status::OK();
  return remote_stream_->CommitOffline();
}

Status FeatureServer::StartStream() {
  auto stream = KafkaStream::Open(*repo_, *options_.stream);
  if (!stream.ok()) return stream.status().WithContext("--stream");
  stream_ = std::move(*stream);
  stream_running_ = true;
  stream_thread_ = std::thread([this] {
    Status st = stream_->Run(stream_stop_, /*stop_at_end=*/false);
    {
      std::lock_guard lock(stream_mu_);
      stream_status_ = st;
    }
    stream_running_ = false;
    if (!st.ok() && options_.on_stream_failure) options_.on_stream_failure(st);
  });
  return Status::OK();
}

// Run commits the stream's pending rows (and pushed ones) offline before it returns.
Status FeatureServer::StopStream() {
  if (!stream_thread_.joinable()) return Status::OK();
  stream_stop_ = true;
  stream_thread_.join();
  return stream_status();
}

std::string FeatureServer::NewRequestId() {
  return id_prefix_ + std::to_string(next_request_.fetch_add(1, std::memory_order_relaxed));
}

Status FeatureServer::GetFeatures(const v1::GetFeaturesRequest& request, v1::GetFeaturesResponse* response,
                                  Transport transport) {
  const auto start = std::chrono::steady_clock::now();
  int64_t keys = 0;
  Status st = DoGetFeatures(request, response, &keys);
  metrics_.RecordRequest(Method::kGetFeatures, transport, OutcomeOf(st), SecondsSince(start), keys);
  return st;
}

Status FeatureServer::DoGetFeatures(const v1::GetFeaturesRequest& request, v1::GetFeaturesResponse* response,
                                    int64_t* keys) {
  const RepoDefinition& definition = repo_->definition();
  STRATA_ASSIGN_OR_RETURN(ReadPlan plan, DecodeGetFeatures(definition, request, options_.limits));
  *keys = plan.total_keys;
  const int64_t now = NowMicros();
  const int64_t as_of = plan.as_of.value_or(now);
  const bool log = request.log() == v1::LOG_ON || (request.log() == v1::LOG_DEFAULT && log_by_default_);
  LogRecord record;
  response->set_request_id(request.request_id().empty() ? NewRequestId() : request.request_id());
  response->set_as_of_micros(as_of);
  std::vector<RowInfo> info;
  const bool column_times = request.event_times() == v1::EVENT_TIMES_PER_COLUMN;
  for (const PlannedRead& read : plan.reads) {
    const PlannedEntity& entity = plan.entities[read.entity_index];
    std::vector<const FeatureDef*> features;
    features.reserve(read.columns.size());
    for (const auto& c : read.columns) features.push_back(c.feature);
    auto arrays = repo_->Read(*read.group, entity.keys, features, as_of, read.limit, &info);
    if (!arrays.ok()) {
      const Status& e = arrays.status();
      // A read too far in the past for the online history is the client's to fix.
      if (e.code() == StatusCode::kInvalidArgument) return e;
      return e.WithContext("reading group " + read.group->name);
    }
    for (size_t c = 0; c < read.columns.size(); ++c) {
      const PlannedColumn& pc = read.columns[c];
      v1::FeatureColumn* out = response->add_columns();
      out->set_name(pc.name);
      out->set_entity(entity.entity->name);
      out->set_type(pc.type);
      STRATA_RETURN_NOT_OK(EncodeColumn(*(*arrays)[c], info, pc.last_n, column_times, out));
      if (log) record.columns.push_back({pc.name, read.entity_index, (*arrays)[c], pc.last_n});
    }
    if (request.event_times() == v1::EVENT_TIMES_PER_GROUP) {  // one read per group (read_plan.h)
      v1::GroupEventTimes* g = response->add_groups();
      g->set_group(read.group->name);
      g->set_entity(entity.entity->name);
      EncodeEventTimes(info, g->mutable_event_time_micros());
    }
  }
  if (log) {
    record.request_id = response->request_id();
    record.request_time = now;  // when it was served (its as-of time may be earlier)
    record.entities.reserve(plan.entities.size());
    for (auto& e : plan.entities) record.entities.push_back({e.entity->name, std::move(e.keys)});
    logger_->Log(std::move(record));
  }
  return Status::OK();
}

Status FeatureServer::Push(const v1::PushRequest& request, v1::PushResponse* response, Transport transport) {
  const auto start = std::chrono::steady_clock::now();
  Status st = [&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(DecodedPush push, DecodePush(repo_->definition(), request, options_.max_push_rows));
    std::lock_guard lock(push_mu_);
    if (draining_) return Status::FailedPrecondition("the server is shutting down; push again to another replica");
    uint64_t last;
    if (stream_) {
      STRATA_ASSIGN_OR_RETURN(last, stream_->Push(*push.group, push.rows));
    } else if (!remote_stream_name_.empty()) {  // one write pipeline: the stream's recovery stays exact
      STRATA_ASSIGN_OR_RETURN(StreamWriter * writer, RemoteStreamWriter(remote_stream_name_, 0, 0));
      Status staged = writer->Stage(*push.group, push.rows);
      if (!staged.ok()) {
        writer->DiscardStaged();
        return staged;
      }
      STRATA_RETURN_NOT_OK(WriteRemoteStream({}));
      last = repo_->last_write_seq();
    } else {
      STRATA_ASSIGN_OR_RETURN(last, repo_->Write(*push.group, push.rows));
    }
    response->set_rows_written(push.rows.size());
    response->set_last_write_seq(last);
    metrics_.RecordPushedRows(static_cast<int64_t>(push.rows.size()));
    for (const auto& r : push.rows) metrics_.RecordPushedEventTime(r.event_time);
    return Status::OK();
  }();
  metrics_.RecordRequest(Method::kPush, transport, OutcomeOf(st), SecondsSince(start), 0);
  return st;
}

Status FeatureServer::StreamWrite(const v1::StreamWriteRequest& request, v1::StreamWriteResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  Status st = [&]() -> Status {
    std::vector<DecodedPush> runs;
    int64_t rows = 0;
    for (const auto& b : request.batches()) {
      // A consumer's rows always have an event time: 0 is 1970-01-01T00:00:00Z, as in a local stream.
      STRATA_ASSIGN_OR_RETURN(DecodedPush run, DecodePush(repo_->definition(), b, options_.max_push_rows,
                                                          /*zero_time_is_unset=*/false));
      rows += static_cast<int64_t>(run.rows.size());
      if (rows > options_.max_push_rows)
        return Status::InvalidArgument("oversized stream batch: more than " + std::to_string(options_.max_push_rows) + " rows");
      runs.push_back(std::move(run));
    }
    std::map<std::string, std::string> positions;
    for (const auto& p : request.positions()) {
      if (p.source().empty() || p.next().empty()) return Status::InvalidArgument("a stream position needs a source and a next position");
      positions[p.source()] = p.next();
    }
    std::lock_guard lock(push_mu_);
    if (draining_) return Status::FailedPrecondition("the server is shutting down; write again once it is back");
    STRATA_ASSIGN_OR_RETURN(StreamWriter * writer,
                            RemoteStreamWriter(request.stream(), request.commit_rows(), request.commit_interval_ms()));
    // The fence: each partition must start where the store is. A consumer that lost the
    // partition in a rebalance, or retries a batch that was written, finds it moved on.
    STRATA_ASSIGN_OR_RETURN(auto stored, writer->Positions());
    bool conflict = false;
    for (const auto& p : request.positions()) {
      auto it = stored.find(p.source());
      if (it == stored.end()) continue;
      (*response->mutable_stored())[p.source()] = it->second;
      if (it->second != p.start()) conflict = true;
    }
    if (conflict) {
      ++remote_conflicts_;
      response->set_conflict(true);
      return Status::OK();
    }
    response->clear_stored();
    for (const auto& run : runs) {
      Status staged = writer->Stage(*run.group, run.rows);
      if (!staged.ok()) {
        writer->DiscardStaged();
        return staged;
      }
    }
    STRATA_RETURN_NOT_OK(WriteRemoteStream(positions));
    ++remote_batches_;
    response->set_rows_written(static_cast<uint64_t>(rows));
    response->set_last_write_seq(repo_->last_write_seq());
    metrics_.RecordPushedRows(rows);
    for (const auto& run : runs)
      for (const auto& r : run.rows) metrics_.RecordPushedEventTime(r.event_time);
    return Status::OK();
  }();
  metrics_.RecordRequest(Method::kStreamWrite, Transport::kGrpc, OutcomeOf(st), SecondsSince(start), 0);
  return st;
}

Status FeatureServer::StreamPositions(const v1::StreamPositionsRequest& request, v1::StreamPositionsResponse* response) {
  std::lock_guard lock(push_mu_);
  std::map<std::string, std::string> positions;
  if (remote_stream_ && remote_stream_->name() == request.stream()) {
    STRATA_ASSIGN_OR_RETURN(positions, remote_stream_->Positions());
  } else {
    STRATA_ASSIGN_OR_RETURN(positions, StreamWriter::StoredPositions(*repo_, request.stream()));
  }
  for (auto& [k, v] : positions) (*response->mutable_positions())[k] = v;
  return Status::OK();
}

Status FeatureServer::Drain() {
  {
    std::lock_guard lock(push_mu_);
    draining_ = true;
  }
  Status stream = StopStream();
  Status remote = StopRemoteStream();
  Status log = logger_->Stop();
  if (!stream.ok()) return stream;
  return remote.ok() ? log : remote;
}

std::string FeatureServer::RenderMetrics() {
  std::string out;
  metrics_.Render(&out);
  const OnlineStoreGauges g = repo_->online().Gauges();
  AppendMetricHeader("strata_online_store_keys", "gauge", "Estimated entries in the online store.", &out);
  AppendSample("strata_online_store_keys", "", static_cast<double>(g.estimated_keys), &out);
  AppendMetricHeader("strata_online_store_bytes", "gauge", "Online store size: live data files and memtables.", &out);
  AppendSample("strata_online_store_bytes", "kind=\"disk\"", static_cast<double>(g.disk_bytes), &out);
  AppendSample("strata_online_store_bytes", "kind=\"memtable\"", static_cast<double>(g.memtable_bytes), &out);
  AppendMetricHeader("strata_online_cache_lookups_total", "counter", "Row and block cache lookups of the online store.", &out);
  AppendSample("strata_online_cache_lookups_total", "result=\"hit\"", static_cast<double>(g.cache_hits), &out);
  AppendSample("strata_online_cache_lookups_total", "result=\"miss\"", static_cast<double>(g.cache_misses), &out);
  AppendMetricHeader("strata_online_cache_hit_ratio", "gauge", "Cache hits / lookups since the server started.", &out);
  const uint64_t lookups = g.cache_hits + g.cache_misses;
  AppendSample("strata_online_cache_hit_ratio", "", lookups ? static_cast<double>(g.cache_hits) / lookups : 0.0, &out);
  AppendMetricHeader("strata_ingest_lag_seconds", "gauge",
                     "Now minus the newest event time pushed to this server (0 before the first push).", &out);
  const int64_t newest = metrics_.newest_pushed_event_micros();
  AppendSample("strata_ingest_lag_seconds", "", newest ? (NowMicros() - newest) / 1e6 : 0.0, &out);
  AppendMetricHeader("strata_last_write_seq", "gauge", "The highest write_seq the repository assigned.", &out);
  AppendSample("strata_last_write_seq", "", static_cast<double>(repo_->last_write_seq()), &out);
  AppendMetricHeader("strata_feature_log_pending_records", "gauge", "Responses queued for the feature log.", &out);
  AppendSample("strata_feature_log_pending_records", "", static_cast<double>(logger_->pending()), &out);
  AppendMetricHeader("strata_feature_log_pending_bytes", "gauge", "Memory the responses queued for the feature log hold.", &out);
  AppendSample("strata_feature_log_pending_bytes", "", static_cast<double>(logger_->pending_bytes()), &out);
  AppendMetricHeader("strata_feature_log_dropped_total", "counter",
                     "Responses not logged: the log queue was full, or a write of the log failed.", &out);
  AppendSample("strata_feature_log_dropped_total", "", static_cast<double>(logger_->dropped()), &out);
  AppendMetricHeader("strata_feature_log_rows_total", "counter", "Rows committed to the _feature_log table.", &out);
  AppendSample("strata_feature_log_rows_total", "", static_cast<double>(logger_->rows_written()), &out);
  AppendMetricHeader("strata_feature_log_errors_total", "counter", "Feature-log writes that failed.", &out);
  AppendSample("strata_feature_log_errors_total", "", static_cast<double>(logger_->errors()), &out);
  if (remote_batches_.load() + remote_conflicts_.load() > 0) {
    AppendMetricHeader("strata_remote_stream_batches_total", "counter",
                       "Batches of remote stream consumers (strata stream --server) written.", &out);
    AppendSample("strata_remote_stream_batches_total", "", static_cast<double>(remote_batches_.load()), &out);
    AppendMetricHeader("strata_remote_stream_conflicts_total", "counter",
                       "Remote batches refused: a partition did not start at the stored position (a consumer that "
                       "lost it, or a retried batch); that consumer reads again from the stored position.", &out);
    AppendSample("strata_remote_stream_conflicts_total", "", static_cast<double>(remote_conflicts_.load()), &out);
    AppendMetricHeader("strata_remote_stream_commit_failures_total", "counter",
                       "Offline commits of the remote stream that failed (retried by the stream's recovery).", &out);
    AppendSample("strata_remote_stream_commit_failures_total", "", static_cast<double>(remote_commit_failures_.load()), &out);
  }
  if (stream_) {
    AppendMetricHeader("strata_stream_running", "gauge", "1 while the stream consumed by this server runs, 0 once it stopped.", &out);
    AppendSample("strata_stream_running", "", stream_running_ ? 1.0 : 0.0, &out);
    out += stream_->RenderMetrics();
  }
  return out;
}

}  // namespace strata::serving
