#include "strata/serving/grpc_service.h"

namespace strata::serving {

grpc::Status ToGrpcStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return grpc::Status::OK;
    case StatusCode::kInvalidArgument:
    case StatusCode::kIncompatible: return {grpc::StatusCode::INVALID_ARGUMENT, status.message()};
    case StatusCode::kNotFound: return {grpc::StatusCode::NOT_FOUND, status.message()};
    case StatusCode::kAlreadyExists: return {grpc::StatusCode::ALREADY_EXISTS, status.message()};
    case StatusCode::kFailedPrecondition: return {grpc::StatusCode::UNAVAILABLE, status.message()};
    case StatusCode::kConflict: return {grpc::StatusCode::ABORTED, status.message()};
    case StatusCode::kCorruption: return {grpc::StatusCode::DATA_LOSS, status.message()};
    default: return {grpc::StatusCode::INTERNAL, status.message()};
  }
}

grpc::Status GrpcFeatureService::GetFeatures(grpc::ServerContext*, const v1::GetFeaturesRequest* request,
                                             v1::GetFeaturesResponse* response) {
  return ToGrpcStatus(server_.GetFeatures(*request, response, Transport::kGrpc));
}

grpc::Status GrpcFeatureService::Push(grpc::ServerContext*, const v1::PushRequest* request, v1::PushResponse* response) {
  return ToGrpcStatus(server_.Push(*request, response, Transport::kGrpc));
}

}  // namespace strata::serving
