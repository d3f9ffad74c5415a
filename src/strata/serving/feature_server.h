#pragma once
// The transport-independent core of `strata serve`: GetFeatures, Push and the metrics page,
// over one open feature repository. Thread-safe: reads run concurrently; pushes are
// serialized (the repository has one writer). The gRPC and HTTP front ends call into it.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "strata/core/status.h"
#include "strata/serving/feature_logger.h"
#include "strata/serving/read_plan.h"
#include "strata/serving/serving_metrics.h"
#include "strata/store/feature_repository.h"
#include "strata/v1/feature_service.pb.h"

namespace strata::serving {

struct FeatureServerOptions {
  RequestLimits limits;
  int64_t max_push_rows = 100'000;
  // Feature logging: nullopt = as strata.yaml says (serving.log_features).
  std::optional<bool> log_features;
  FeatureLoggerOptions logger;
};

class FeatureServer {
 public:
  static Result<std::unique_ptr<FeatureServer>> Open(const std::string& repo_dir, FeatureServerOptions options);
  ~FeatureServer();

  Status GetFeatures(const v1::GetFeaturesRequest& request, v1::GetFeaturesResponse* response, Transport transport);
  Status Push(const v1::PushRequest& request, v1::PushResponse* response, Transport transport);
  // Prometheus text: request counters and latency histograms, keys served, store sizes, cache
  // hit counts, feature-log state and ingest lag.
  std::string RenderMetrics();
  // Counts a request its transport could not even decode (malformed body).
  void RecordMalformed(Method method, Transport transport) {
    metrics_.RecordRequest(method, transport, Outcome::kInvalidArgument, 0.0, 0);
  }

  // Flushes the feature log and stops taking pushes; reads keep working.
  Status Drain();

  FeatureRepository& repository() { return *repo_; }
  FeatureLogger* logger() { return logger_.get(); }
  bool logging_by_default() const { return log_by_default_; }

 private:
  FeatureServer(std::unique_ptr<FeatureRepository> repo, FeatureServerOptions options)
      : repo_(std::move(repo)), options_(std::move(options)) {}
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
};

}  // namespace strata::serving
