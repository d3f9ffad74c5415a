#pragma once
// The transport-independent core of `strata serve`: GetFeatures, Push and the metrics page,
// over one open feature repository, and optionally a Kafka stream into it. Thread-safe: reads
// run concurrently; writes (pushes, the stream's batches) are serialized (the repository has
// one writer). The gRPC and HTTP front ends call into it.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "strata/core/status.h"
#include "strata/ingest/kafka_stream.h"
#include "strata/ingest/stream_config.h"
#include "strata/serving/feature_logger.h"
#include "strata/serving/read_plan.h"
#include "strata/serving/serving_metrics.h"
#include "strata/store/feature_repository.h"
#include "strata/store/stream_writer.h"
#include "strata/v1/feature_service.pb.h"

namespace strata::serving {

struct FeatureServerOptions {
  RequestLimits limits;
  int64_t max_push_rows = 100'000;
  // Feature logging: nullopt = as strata.yaml says (serving.log_features).
  std::optional<bool> log_features;
  FeatureLoggerOptions logger;
  // A Kafka stream consumed in this process (`strata serve --stream`), into the store it
  // serves: streamed rows are servable as soon as they are written. Pushes then go through
  // the stream's writer (one write pipeline, exactly once for both).
  std::optional<StreamConfig> stream;
  // Called on the stream's thread when the stream stops with an error (serving goes on).
  std::function<void(const Status&)> on_stream_failure;
};

class FeatureServer {
 public:
  static Result<std::unique_ptr<FeatureServer>> Open(const std::string& repo_dir, FeatureServerOptions options);
  ~FeatureServer();

  Status GetFeatures(const v1::GetFeaturesRequest& request, v1::GetFeaturesResponse* response, Transport transport);
  Status Push(const v1::PushRequest& request, v1::PushResponse* response, Transport transport);
  // A batch of a remote stream consumer (`strata stream --server`), written with its positions
  // through the server's stream writer, exactly once: refused as a whole, with the stored
  // positions in the response, if one of its partitions does not start where the store says.
  // One stream per server; pushes then go through the same writer.
  Status StreamWrite(const v1::StreamWriteRequest& request, v1::StreamWriteResponse* response);
  Status StreamPositions(const v1::StreamPositionsRequest& request, v1::StreamPositionsResponse* response);
  // Prometheus text: request counters and latency histograms, keys served, store sizes, cache
  // hit counts, feature-log state and ingest lag.
  std::string RenderMetrics();
  // Counts a request its transport could not even decode (malformed body).
  void RecordMalformed(Method method, Transport transport) {
    metrics_.RecordRequest(method, transport, Outcome::kInvalidArgument, 0.0, 0);
  }

  // Stops taking pushes, stops the stream (committing its rows offline) and flushes the
  // feature log; reads keep working.
  Status Drain();

  // The stream consumed in this process, if any, and how it stopped (OK while it runs).
  KafkaStream* stream() { return stream_.get(); }
  Status stream_status() const {
    std::lock_guard lock(stream_mu_);
    return stream_status_;
  }

  FeatureRepository& repository() { return *repo_; }
  FeatureLogger* logger() { return logger_.get(); }
  bool logging_by_default() const { return log_by_default_; }

 private:
  FeatureServer(std::unique_ptr<FeatureRepository> repo, FeatureServerOptions options)
      : repo_(std::move(repo)), options_(std::move(options)) {}
  Status StartStream();
  Status StopStream();
  // The writer of remote stream `name`, opened (with the given commit settings, 0: defaults)
  // on its first batch. Call with push_mu_ held.
  Result<StreamWriter*> RemoteStreamWriter(const std::string& name, int64_t commit_rows, int64_t commit_interval_ms);
  // Offline commits of the remote stream's rows when due, while its consumers are idle.
  void RunRemoteCommitTicker();
  // After a failed offline commit: the writer goes, and the next batch reopens it, whose
  // recovery commits the failed rows (still pending online). Call with push_mu_ held.
  void DropRemoteStreamWriter(const Status& why);
  // Writes what is staged in the remote stream's writer with `positions`; a failed offline
  // commit after the online write drops the writer and is not the batch's error.
  Status WriteRemoteStream(const std::map<std::string, std::string>& positions);
  Status StopRemoteStream();
  Status DoGetFeatures(const v1::GetFeaturesRequest& request, v1::GetFeaturesResponse* response, int64_t* keys);
  std::string NewRequestId();

  std::unique_ptr<FeatureRepository> repo_;
  FeatureServerOptions options_;
  std::unique_ptr<FeatureLogger> logger_;
  bool log_by_default_ = false;
  ServingMetrics metrics_;
  std::mutex push_mu_;
  bool draining_ = false;
  std::string id_prefix_;
  std::atomic<uint64_t> next_request_ = 1;
  std::unique_ptr<KafkaStream> stream_;
  std::thread stream_thread_;
  std::atomic<bool> stream_stop_{false};
  std::atomic<bool> stream_running_{false};
  mutable std::mutex stream_mu_;
  Status stream_status_;
  std::unique_ptr<StreamWriter> remote_stream_;  // guarded by push_mu_, as are the next three
  std::string remote_stream_name_;               // set by the first remote batch, kept after a drop
  int64_t remote_commit_rows_ = 0, remote_commit_interval_ms_ = 0;
  std::atomic<uint64_t> remote_batches_{0}, remote_conflicts_{0}, remote_commit_failures_{0};
  std::thread remote_ticker_;
  std::condition_variable remote_ticker_cv_;  // with push_mu_
  bool remote_ticker_stop_ = false;
};

}  // namespace strata::serving
