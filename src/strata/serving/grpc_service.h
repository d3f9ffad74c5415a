#pragma once
// strata.v1.FeatureService over gRPC: a thin adapter from gRPC to FeatureServer.
//
// gRPC's callback API: a request runs on the thread that read it (the sync API hands every
// request from a poller thread to a worker, two context switches each way), and its request
// and response messages live on one protobuf arena per call (a 1 user + 100 items response is
// thousands of repeated values; with the heap they were a tenth of the server's CPU).

#include <grpcpp/grpcpp.h>

#include <memory>

#include "strata/serving/feature_server.h"
#include "strata/v1/feature_service.grpc.pb.h"

namespace strata::serving {

// Our Status -> a gRPC status with the same message (bad requests: INVALID_ARGUMENT).
grpc::Status ToGrpcStatus(const Status& status);

class GrpcFeatureService final : public v1::FeatureService::CallbackService {
 public:
  explicit GrpcFeatureService(FeatureServer& server);
  ~GrpcFeatureService() override;

  grpc::ServerUnaryReactor* GetFeatures(grpc::CallbackServerContext* context, const v1::GetFeaturesRequest* request,
                                        v1::GetFeaturesResponse* response) override;
  grpc::ServerUnaryReactor* Push(grpc::CallbackServerContext* context, const v1::PushRequest* request,
                                 v1::PushResponse* response) override;
  grpc::ServerUnaryReactor* StreamWrite(grpc::CallbackServerContext* context, const v1::StreamWriteRequest* request,
                                        v1::StreamWriteResponse* response) override;
  grpc::ServerUnaryReactor* StreamPositions(grpc::CallbackServerContext* context, const v1::StreamPositionsRequest* request,
                                            v1::StreamPositionsResponse* response) override;

 private:
  class ArenaAllocator;
  FeatureServer& server_;
  std::unique_ptr<ArenaAllocator> allocator_;
};

}  // namespace strata::serving
