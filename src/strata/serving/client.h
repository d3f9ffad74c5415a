#pragma once
// strata::Client: a C++ client of `strata serve` over gRPC. Thread-safe (concurrent calls share
// its HTTP/2 channel), on a TCP connection of its own: threads that each send many requests go
// faster with a client each, as the server reads one connection's requests on one thread.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strata/core/status.h"
#include "strata/v1/feature_service.grpc.pb.h"

namespace strata {

class Client {
 public:
  // `address`: host:port of the server's gRPC listener. Connects lazily.
  static Result<std::unique_ptr<Client>> Connect(const std::string& address);

  // The raw call; a gRPC error comes back as a Status with the server's message.
  Result<v1::GetFeaturesResponse> GetFeatures(const v1::GetFeaturesRequest& request,
                                              std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The same, into a response the caller keeps from call to call: its columns' arrays and
  // strings are reused instead of allocated again (hundreds of values per call).
  Status GetFeatures(const v1::GetFeaturesRequest& request, v1::GetFeaturesResponse* response,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Features `refs` ("group:feature", "group:*", "group:feature@N") of int64 or string keys of
  // one entity.
  Result<v1::GetFeaturesResponse> GetFeatures(const std::string& entity, const std::vector<int64_t>& keys,
                                              const std::vector<std::string>& refs,
                                              std::optional<int64_t> as_of_micros = std::nullopt);
  Result<v1::GetFeaturesResponse> GetFeatures(const std::string& entity, const std::vector<std::string>& keys,
                                              const std::vector<std::string>& refs,
                                              std::optional<int64_t> as_of_micros = std::nullopt);
  Result<v1::PushResponse> Push(const v1::PushRequest& request,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // A remote stream consumer's batch and the positions it resumes from (`strata stream
  // --server`; RemoteStreamSink).
  Result<v1::StreamWriteResponse> StreamWrite(const v1::StreamWriteRequest& request,
                                              std::chrono::milliseconds timeout = std::chrono::seconds(60));
  Result<v1::StreamPositionsResponse> StreamPositions(const std::string& stream,
                                                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  explicit Client(std::unique_ptr<v1::FeatureService::Stub> stub) : stub_(std::move(stub)) {}
  std::unique_ptr<v1::FeatureService::Stub> stub_;
};

}  // namespace strata
