#include "strata/serving/http_service.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "strata/core/definitions_json.h"
#include "strata/core/time.h"
#include "strata/store/online_backup.h"
#include "strata/serving/arrow_response.h"

namespace strata::serving {

namespace {

namespace pbu = google::protobuf::util;

int HttpCode(const Status& st) {
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kIncompatible: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kFailedPrecondition: return 503;
    case StatusCode::kConflict: return 409;
    default: return 500;
  }
}

void SendError(httplib::Response& res, int code, const std::string& message) {
  res.status = code;
  std::string escaped;
  for (char c : message) {
    switch (c) {
      case '"': escaped += "\\\""; break;
      case '\\': escaped += "\\\\"; break;
      case '\n': escaped += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) escaped += ' ';
        else escaped += c;
    }
  }
  res.set_content("{\"error\": \"" + escaped + "\"}\n", "application/json");
}

// Parses the body as `Request` (proto3 JSON), calls `handler`, answers the response as JSON (or,
// for GetFeatures with `Accept: application/vnd.apache.arrow.stream`, as an Arrow IPC stream).
template <typename Request, typename Response, typename Handler>
void HandleJson(FeatureServer& server, Method method, const httplib::Request& req, httplib::Response& res,
                Handler handler) {
  Request request;
  pbu::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  if (auto st = pbu::JsonStringToMessage(req.body, &request, parse); !st.ok()) {
    server.RecordMalformed(method, Transport::kHttp);
    SendError(res, 400, "malformed request body: " + std::string(st.message()));
    return;
  }
  Response response;
  if (Status st = handler(request, &response); !st.ok()) {
    SendError(res, HttpCode(st), st.message());
    return;
  }
  if constexpr (std::is_same_v<Response, v1::GetFeaturesResponse>) {
    if (req.get_header_value("Accept").find(kArrowStreamMediaType) != std::string::npos) {
      auto arrow = EncodeArrowResponse(response);
      if (!arrow.ok()) {
        SendError(res, 500, arrow.status().message());
        return;
      }
      res.set_content(std::move(*arrow), kArrowStreamMediaType);
      return;
    }
  }
  pbu::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  std::string body;
  if (auto st = pbu::MessageToJsonString(response, &body, print); !st.ok()) {
    SendError(res, 500, "encoding the response: " + std::string(st.message()));
    return;
  }
  body += '\n';
  res.set_content(body, "application/json");
}

}  // namespace

Result<std::pair<std::string, int>> ParseHostPort(const std::string& address, const std::string& what) {
  const auto colon = address.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    const char* b = address.data() + colon + 1;
    const char* e = address.data() + address.size();
    auto [p, ec] = std::from_chars(b, e, port);
    if (ec != std::errc() || p != e) port = -1;
  }
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535)
    return Status::InvalidArgument(what + " '" + address + "': expected HOST:PORT, e.g. 127.0.0.1:6567");
  return std::pair{address.substr(0, colon), port};
}

HttpService::HttpService(FeatureServer& server) : server_(server), http_(std::make_unique<httplib::Server>()) {}

HttpService::~HttpService() { Stop(); }

Result<std::unique_ptr<HttpService>> HttpService::Start(FeatureServer& server, const std::string& address,
                                                        int threads) {
  STRATA_ASSIGN_OR_RETURN(auto host_port, ParseHostPort(address, "--http"));
  std::unique_ptr<HttpService> svc(new HttpService(server));
  httplib::Server& http = *svc->http_;
  const size_t n = static_cast<size_t>(std::max(1, threads));
  http.new_task_queue = [n] { return new httplib::ThreadPool(n); };
  http.set_payload_max_length(64 << 20);
  HttpService* self = svc.get();
  http.Post("/v1/features", [self](const httplib::Request& req, httplib::Response& res) {
    HandleJson<v1::GetFeaturesRequest, v1::GetFeaturesResponse>(
        self->server_, Method::kGetFeatures, req, res, [&](const auto& r, auto* out) { return self->server_.GetFeatures(r, out, Transport::kHttp); });
  });
  http.Post("/v1/push", [self](const httplib::Request& req, httplib::Response& res) {
    HandleJson<v1::PushRequest, v1::PushResponse>(
        self->server_, Method::kPush, req, res, [&](const auto& r, auto* out) { return self->server_.Push(r, out, Transport::kHttp); });
  });
  http.Get("/v1/definitions", [self](const httplib::Request&, httplib::Response& res) {
    res.set_content(DefinitionToJson(self->server_.repository().definition()) + "\n", "application/json");
  });
  // A backup of the online store while serving: REPO/.strata/backups/NAME (docs/operations.md).
  http.Post("/v1/admin/backup", [self](const httplib::Request& req, httplib::Response& res) {
    std::string name;
    if (!req.body.empty()) {
      auto body = nlohmann::json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object() || (body.contains("name") && !body["name"].is_string())) {
        SendError(res, 400, "expected a JSON object like {\"name\": \"nightly-1\"}");
        return;
      }
      name = body.value("name", "");
    }
    if (name.empty()) name = "online-" + std::to_string(NowMicros());
    const bool valid = name.size() <= 100 && name.front() != '.' &&
                       std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
    if (!valid) {
      SendError(res, 400, "backup name '" + name + "': use letters, digits, '-', '_' and '.' (at most 100)");
      return;
    }
    FeatureRepository& repo = self->server_.repository();
    auto info = BackupOnlineStore(repo, repo.ResolvePath(".strata/backups/" + name));
    if (!info.ok()) {
      SendError(res, HttpCode(info.status()), info.status().message());
      return;
    }
    nlohmann::json out = {{"dir", info->dir}, {"last_write_seq", info->last_write_seq}, {"created", FormatTimestamp(info->created_micros)}};
    res.set_content(out.dump() + "\n", "application/json");
  });
  http.Get("/healthz", [self](const httplib::Request&, httplib::Response& res) {
    const bool ok = self->healthy_.load();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : "shutting down\n", "text/plain");
  });
  http.Get("/metrics", [self](const httplib::Request&, httplib::Response& res) {
    res.set_content(self->server_.RenderMetrics(), "text/plain; version=0.0.4");
  });
  // httplib's own errors (no such route, a body over the limit) answer in the JSON of ours.
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // ours, already JSON
    const std::string what = res.status == 404 ? "no such endpoint: " + req.method + " " + req.path +
                                                     " (docs/serving.md lists them)"
                             : res.status == 413 ? "request body over the 64 MiB limit: split the request"
                                                 : "HTTP status " + std::to_string(res.status) + " for " + req.method + " " + req.path;
    SendError(res, res.status, what);
    return httplib::Server::HandlerResponse::Handled;
  }));
  const auto& [host, port] = host_port;
  if (port == 0) {
    svc->port_ = http.bind_to_any_port(host);
    if (svc->port_ <= 0) return Status::IOError("--http " + address + ": cannot bind");
  } else {
    if (!http.bind_to_port(host, port))
      return Status::IOError("--http " + address + ": cannot bind (in use, or not a local address?)");
    svc->port_ = port;
  }
  svc->thread_ = std::thread([self] { self->http_->listen_after_bind(); });
  return svc;
}

void HttpService::Stop() {
  if (!thread_.joinable()) return;
  http_->stop();  // the thread pool's destructor lets accepted requests finish
  thread_.join();
}

}  // namespace strata::serving
