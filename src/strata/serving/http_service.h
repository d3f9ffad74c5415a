#pragma once
// The HTTP/JSON face of the feature server (cpp-httplib):
//   POST /v1/features  GetFeaturesRequest -> GetFeaturesResponse, in proto3's JSON mapping
//   POST /v1/push      PushRequest -> PushResponse
//   GET  /v1/definitions  the applied definitions (entities, groups, features, types) as JSON
//   GET  /healthz      200 "ok" while serving, 503 while shutting down
//   GET  /metrics      Prometheus text
// Errors: 400 (bad request, with {"error": message}), 404, 503, 500.

#include <memory>
#include <string>
#include <thread>

#include "strata/core/status.h"
#include "strata/serving/feature_server.h"

namespace httplib {
class Server;
}

namespace strata::serving {

class HttpService {
 public:
  // Binds host:port (port 0 picks a free one) and serves on `threads` threads.
  static Result<std::unique_ptr<HttpService>> Start(FeatureServer& server, const std::string& address, int threads);
  ~HttpService();

  int port() const { return port_; }
  void SetUnhealthy() { healthy_ = false; }
  // Stops accepting; requests in flight finish first.
  void Stop();

 private:
  explicit HttpService(FeatureServer& server);

  FeatureServer& server_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> healthy_{true};
};

// host:port -> (host, port); InvalidArgument naming `what` when malformed.
Result<std::pair<std::string, int>> ParseHostPort(const std::string& address, const std::string& what);

}  // namespace strata::serving
