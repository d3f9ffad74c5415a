#include "strata/serving/grpc_service.h"

#include <google/protobuf/arena.h>

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

namespace {

// A unary call answered at once, on the thread that read it.
grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* context, const Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

// GetFeatures' request and response on one arena per call, freed at once when gRPC is done.
class GrpcFeatureService::ArenaAllocator final
    : public grpc::MessageAllocator<v1::GetFeaturesRequest, v1::GetFeaturesResponse> {
 public:
  grpc::MessageHolder<v1::GetFeaturesRequest, v1::GetFeaturesResponse>* AllocateMessages() override {
    return new Holder();
  }

 private:
  class Holder final : public grpc::MessageHolder<v1::GetFeaturesRequest, v1::GetFeaturesResponse> {
   public:
    Holder() : arena_(Options()) {
      set_request(google::protobuf::Arena::CreateMessage<v1::GetFeaturesRequest>(&arena_));
      set_response(google::protobuf::Arena::CreateMessage<v1::GetFeaturesResponse>(&arena_));
    }
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions Options() {
      google::protobuf::ArenaOptions o;
      o.start_block_size = 16 << 10;  // a small request's response fits
      o.max_block_size = 1 << 20;
      return o;
    }
    google::protobuf::Arena arena_;
  };
};

GrpcFeatureService::GrpcFeatureService(FeatureServer& server)
    : server_(server), allocator_(std::make_unique<ArenaAllocator>()) {
  SetMessageAllocatorFor_GetFeatures(allocator_.get());
}

GrpcFeatureService::~GrpcFeatureService() = default;

grpc::ServerUnaryReactor* GrpcFeatureService::GetFeatures(grpc::CallbackServerContext* context,
                                                          const v1::GetFeaturesRequest* request,
                                                          v1::GetFeaturesResponse* response) {
  return Finished(context, server_.GetFeatures(*request, response, Transport::kGrpc));
}

grpc::ServerUnaryReactor* GrpcFeatureService::Push(grpc::CallbackServerContext* context, const v1::PushRequest* request,
                                                   v1::PushResponse* response) {
  return Finished(context, server_.Push(*request, response, Transport::kGrpc));
}

grpc::ServerUnaryReactor* GrpcFeatureService::StreamWrite(grpc::CallbackServerContext* context,
                                                          const v1::StreamWriteRequest* request,
                                                          v1::StreamWriteResponse* response) {
  return Finished(context, server_.StreamWrite(*request, response));
}

grpc::ServerUnaryReactor* GrpcFeatureService::StreamPositions(grpc::CallbackServerContext* context,
                                                              const v1::StreamPositionsRequest* request,
                                                              v1::StreamPositionsResponse* response) {
  return Finished(context, server_.StreamPositions(*request, response));
}

}  // namespace strata::serving
