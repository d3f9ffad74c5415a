#include "strata/serving/server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <filesystem>

#include <thread>

#include "strata/ingest/protobuf_logging.h"
#include "strata/serving/grpc_service.h"
#include "strata/serving/http_service.h"

namespace strata::serving {

Result<std::unique_ptr<Server>> Server::Start(const ServeOptions& options) {
  if (options.grpc_address.empty() && options.http_address.empty())
    return Status::InvalidArgument("nothing to serve: give --grpc, --http or both");
  KeepOnlyFatalProtobufLogs();  // a client can send invalid UTF-8 on every request
  // gRPC locks absl::Mutex on every call; Debian's absl tracks their lock order for deadlock
  // reports (GraphCycles: ~0.8% of the server's CPU in bench/serving). Not in a server.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::unique_ptr<Server> s(new Server());
  FeatureServerOptions server_options = options.server;
  if (!options.stream.empty()) {
    std::error_code ec;
    const bool file = std::filesystem::is_regular_file(options.stream, ec);
    auto config = LoadStreamConfig(options.repo, file ? options.stream : "", file ? "" : options.stream);
    if (!config.ok())
      return Status(config.status().code(), "--stream " + options.stream + ": " + (file ? "" : "not a file, and ") +
                                                config.status().message());
    server_options.stream = std::move(*config);
  }
  STRATA_ASSIGN_OR_RETURN(s->core_, FeatureServer::Open(options.repo, std::move(server_options)));
  const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  if (!options.grpc_address.empty()) {
    STRATA_RETURN_NOT_OK(ParseHostPort(options.grpc_address, "--grpc").status());
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    s->service_ = std::make_unique<GrpcFeatureService>(*s->core_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort(options.grpc_address, grpc::InsecureServerCredentials(), &s->grpc_port_);
    builder.RegisterService(s->service_.get());
    builder.SetMaxReceiveMessageSize(64 << 20);
    builder.SetMaxSendMessageSize(256 << 20);
    // The service is callback-based: gRPC runs each handler on the thread that read the request,
    // from its own pool (the sync server's thread options would not apply).
    s->grpc_ = builder.BuildAndStart();
    if (!s->grpc_ || s->grpc_port_ == 0)
      return Status::IOError("--grpc " + options.grpc_address + ": cannot listen (in use, or not a local address?)");
    // Health by service name too, as Kubernetes' and Envoy's gRPC checks ask for it.
    if (auto* health = s->grpc_->GetHealthCheckService())
      health->SetServingStatus(v1::FeatureService::service_full_name(), true);
  }
  if (!options.http_address.empty()) {
    STRATA_ASSIGN_OR_RETURN(s->http_, HttpService::Start(*s->core_, options.http_address, threads));
  }
  return s;
}

int Server::http_port() const { return http_ ? http_->port() : 0; }

Server::~Server() { (void)Shutdown(std::chrono::milliseconds(0)); }

Status Server::Shutdown(std::chrono::milliseconds grace) {
  if (stopped_) return Status::OK();
  stopped_ = true;
  // Both transports report unhealthy first, so that a load balancer stops sending here while
  // what is in flight finishes.
  if (http_) http_->SetUnhealthy();
  if (grpc_) {
    if (auto* health = grpc_->GetHealthCheckService()) health->Shutdown();
    grpc_->Shutdown(std::chrono::system_clock::now() + grace);
    grpc_->Wait();
  }
  if (http_) http_->Stop();
  return core_ ? core_->Drain() : Status::OK();
}

}  // namespace strata::serving
