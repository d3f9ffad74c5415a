#include "strata/serving/client.h"

#include <grpcpp/grpcpp.h>

namespace strata {

namespace {

Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return Status::OK();
  const std::string msg = s.error_message();
  switch (s.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT: return Status::InvalidArgument(msg);
    case grpc::StatusCode::NOT_FOUND: return Status::NotFound(msg);
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::IOError("strata server unavailable (" + std::to_string(s.error_code()) + "): " + msg);
    case grpc::StatusCode::ABORTED: return Status::Conflict(msg);
    case grpc::StatusCode::DATA_LOSS: return Status::Corruption(msg);
    default: return Status::Internal(msg);
  }
}

// One unary call with a deadline: `call(context, response)` invokes the stub's method.
template <typename Response, typename Call>
Result<Response> Unary(std::chrono::milliseconds timeout, Call&& call) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  Response response;
  STRATA_RETURN_NOT_OK(FromGrpc(call(&ctx, &response)));
  return response;
}

}  // namespace

Result<std::unique_ptr<Client>> Client::Connect(const std::string& address) {
  if (address.empty()) return Status::InvalidArgument("Client::Connect: empty address; expected host:port");
  // A connection of its own: gRPC otherwise shares one TCP connection among every channel to the
  // same address, and the server reads one connection's requests on one thread at a time, so
  // clients on several threads would queue behind each other.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  if (!channel) return Status::IOError("cannot create a channel to " + address);
  return std::unique_ptr<Client>(new Client(v1::FeatureService::NewStub(channel)));
}

Result<v1::GetFeaturesResponse> Client::GetFeatures(const v1::GetFeaturesRequest& request,
                                                    std::chrono::milliseconds timeout) {
  v1::GetFeaturesResponse response;
  STRATA_RETURN_NOT_OK(GetFeatures(request, &response, timeout));
  return response;
}

Status Client::GetFeatures(const v1::GetFeaturesRequest& request, v1::GetFeaturesResponse* response,
                           std::chrono::milliseconds timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  return FromGrpc(stub_->GetFeatures(&ctx, request, response));  // parsing clears, keeping capacity
}

Result<v1::GetFeaturesResponse> Client::GetFeatures(const std::string& entity, const std::vector<int64_t>& keys,
                                                    const std::vector<std::string>& refs,
                                                    std::optional<int64_t> as_of_micros) {
  v1::GetFeaturesRequest request;
  auto* e = request.add_entities();
  e->set_entity(entity);
  e->mutable_int64_keys()->Add(keys.begin(), keys.end());
  for (const auto& r : refs) request.add_features(r);
  if (as_of_micros) request.set_as_of_micros(*as_of_micros);
  return GetFeatures(request);
}

Result<v1::GetFeaturesResponse> Client::GetFeatures(const std::string& entity, const std::vector<std::string>& keys,
                                                    const std::vector<std::string>& refs,
                                                    std::optional<int64_t> as_of_micros) {
  v1::GetFeaturesRequest request;
  auto* e = request.add_entities();
  e->set_entity(entity);
  for (const auto& k : keys) e->add_string_keys(k);
  for (const auto& r : refs) request.add_features(r);
  if (as_of_micros) request.set_as_of_micros(*as_of_micros);
  return GetFeatures(request);
}

Result<v1::PushResponse> Client::Push(const v1::PushRequest& request, std::chrono::milliseconds timeout) {
  return Unary<v1::PushResponse>(timeout, [&](auto* ctx, auto* out) { return stub_->Push(ctx, request, out); });
}

Result<v1::StreamWriteResponse> Client::StreamWrite(const v1::StreamWriteRequest& request,
                                                    std::chrono::milliseconds timeout) {
  return Unary<v1::StreamWriteResponse>(timeout, [&](auto* ctx, auto* out) { return stub_->StreamWrite(ctx, request, out); });
}

Result<v1::StreamPositionsResponse> Client::StreamPositions(const std::string& stream, std::chrono::milliseconds timeout) {
  v1::StreamPositionsRequest request;
  request.set_stream(stream);
  return Unary<v1::StreamPositionsResponse>(timeout,
                                            [&](auto* ctx, auto* out) { return stub_->StreamPositions(ctx, request, out); });
}

}  // namespace strata
