#pragma once
// `strata serve`: the feature server behind gRPC (FeatureService, health, reflection) and
// HTTP/JSON, started and stopped as one.

#include <chrono>
#include <memory>
#include <string>

#include "strata/core/status.h"
#include "strata/serving/feature_server.h"

namespace grpc {
class Server;
}

namespace strata::serving {

class GrpcFeatureService;
class HttpService;

struct ServeOptions {
  std::string repo = ".";
  std::string grpc_address = "127.0.0.1:6566";  // empty: no gRPC; port 0: any free port
  std::string http_address = "127.0.0.1:6567";  // empty: no HTTP
  int threads = 0;                              // HTTP request threads; 0 = cores (gRPC has its own pool)
  // A Kafka stream to consume in this process (docs/streaming.md): a stream configuration file,
  // or the name of a stream in strata.yaml's `streams:`. Empty: none.
  std::string stream;
  FeatureServerOptions server;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(const ServeOptions& options);
  ~Server();

  int grpc_port() const { return grpc_port_; }
  int http_port() const;
  FeatureServer& core() { return *core_; }

  // Graceful stop: health turns NOT_SERVING, no new requests are accepted, requests in
  // flight finish (gRPC ones are cancelled after `grace`), then the feature log is flushed.
  Status Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  Server() = default;

  std::unique_ptr<FeatureServer> core_;
  std::unique_ptr<GrpcFeatureService> service_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<HttpService> http_;
  int grpc_port_ = 0;
  bool stopped_ = false;
};

}  // namespace strata::serving
