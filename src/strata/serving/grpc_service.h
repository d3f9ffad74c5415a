#pragma once
// strata.v1.FeatureService over gRPC: a thin adapter from gRPC to FeatureServer.

#include <grpcpp/grpcpp.h>

#include "strata/serving/feature_server.h"
#include "strata/v1/feature_service.grpc.pb.h"

namespace strata::serving {

// Our Status -> a gRPC status with the same message (bad requests: INVALID_ARGUMENT).
grpc::Status ToGrpcStatus(const Status& status);

class GrpcFeatureService final : public v1::FeatureService::Service {
 public:
  explicit GrpcFeatureService(FeatureServer& server) : server_(server) {}

  grpc::Status GetFeatures(grpc::ServerContext* context, const v1::GetFeaturesRequest* request,
                           v1::GetFeaturesResponse* response) override;
  grpc::Status Push(grpc::ServerContext* context, const v1::PushRequest* request, v1::PushResponse* response) override;

 private:
  FeatureServer& server_;
};

}  // namespace strata::serving
