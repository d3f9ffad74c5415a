#include "strata/serving/feature_server.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

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
  return server;
}

FeatureServer::~FeatureServer() { (void)StopStream(); }

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

Status FeatureServer::Drain() {
  {
    std::lock_guard lock(push_mu_);
    draining_ = true;
  }
  Status stream = StopStream();
  Status log = logger_->Stop();
  return stream.ok() ? log : stream;
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
  AppendMetricHeader("strata_feature_log_dropped_total", "counter", "Responses not logged because the log queue was full.", &out);
  AppendSample("strata_feature_log_dropped_total", "", static_cast<double>(logger_->dropped()), &out);
  AppendMetricHeader("strata_feature_log_rows_total", "counter", "Rows committed to the _feature_log table.", &out);
  AppendSample("strata_feature_log_rows_total", "", static_cast<double>(logger_->rows_written()), &out);
  AppendMetricHeader("strata_feature_log_errors_total", "counter", "Feature-log writes that failed.", &out);
  AppendSample("strata_feature_log_errors_total", "", static_cast<double>(logger_->errors()), &out);
  if (stream_) {
    AppendMetricHeader("strata_stream_running", "gauge", "1 while the stream consumed by this server runs, 0 once it stopped.", &out);
    AppendSample("strata_stream_running", "", stream_running_ ? 1.0 : 0.0, &out);
    out += stream_->RenderMetrics();
  }
  return out;
}

}  // namespace strata::serving
