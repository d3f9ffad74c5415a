// `strata serve [--repo DIR] [--grpc HOST:PORT] [--http HOST:PORT] [--threads N] [--stream NAME|FILE]`

#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "strata/cli/command.h"
#include "strata/serving/server.h"

namespace strata::cli {

Command AddServeCommand(CLI::App& parent) {
  struct Args {
    serving::ServeOptions serve;
    std::string log_features = "config";
    int64_t max_keys = 10'000;
    double grace_seconds = 10;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand(
      "serve", "Serve features over gRPC (strata.v1.FeatureService) and HTTP/JSON until SIGTERM or SIGINT");
  app->add_option("--repo", args->serve.repo, "Feature repository directory")->capture_default_str();
  app->add_option("--grpc", args->serve.grpc_address, "gRPC listen address (port 0: any free port; \"\": off)")
      ->capture_default_str();
  app->add_option("--http", args->serve.http_address, "HTTP listen address (port 0: any free port; \"\": off)")
      ->capture_default_str();
  app->add_option("--threads", args->serve.threads, "HTTP request threads (default: the cores); gRPC requests run on gRPC's callback threads")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--max-keys", args->max_keys, "Most keys one request may ask for")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app->add_option("--log-features", args->log_features,
                  "Log served features to the _feature_log table: on, off, or as strata.yaml's serving.log_features says")
      ->check(CLI::IsMember({"on", "off", "config"}))->capture_default_str();
  app->add_option("--stream", args->serve.stream,
                  "Also consume a Kafka stream into the served store: a stream of strata.yaml's streams: by name, or a "
                  "stream configuration file; pushes then join its write pipeline (docs/streaming.md)");
  app->add_option("--grace", args->grace_seconds, "Seconds in-flight requests get to finish at shutdown")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  return {app, [args]() -> int {
            // Block the stop signals before any thread starts, so that only sigwait below sees them.
            sigset_t stop;
            sigemptyset(&stop);
            sigaddset(&stop, SIGTERM);
            sigaddset(&stop, SIGINT);
            pthread_sigmask(SIG_BLOCK, &stop, nullptr);
            serving::ServeOptions options = args->serve;
            options.server.limits.max_keys = args->max_keys;
            if (args->log_features != "config") options.server.log_features = args->log_features == "on";
            // A stream that stops with an error stops the server too (exit 1), so that a
            // supervisor restarts both rather than serving ever staler features.
            options.server.on_stream_failure = [](const Status&) { kill(getpid(), SIGTERM); };
            auto server = serving::Server::Start(options);
            if (!server.ok())
              return Fail("serve", server.status(),
                          server.status().code() == StatusCode::kInvalidArgument ? kExitUsageError : kExitRuntimeError);
            auto& s = **server;
            std::cout << "strata serve: repository " << options.repo;
            if (s.grpc_port()) std::cout << ", gRPC on port " << s.grpc_port();
            if (s.http_port()) std::cout << ", HTTP on port " << s.http_port();
            std::cout << ", feature logging " << (s.core().logging_by_default() ? "on" : "off (per request)");
            if (auto* stream = s.core().stream()) {
              std::cout << ", streaming " << stream->name();
              if (stream->recovered_rows() > 0)
                std::cout << " (recovered " << stream->recovered_rows() << " rows offline left pending by the last run)";
            }
            std::cout << std::endl;
            int sig = 0;
            sigwait(&stop, &sig);
            const Status stream_failure = s.core().stream_status();
            if (stream_failure.ok())
              std::cout << "strata serve: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
                        << ": finishing requests in flight and flushing the feature log" << std::endl;
            Status st = s.Shutdown(std::chrono::milliseconds(static_cast<int64_t>(args->grace_seconds * 1000)));
            if (!stream_failure.ok()) return Fail("serve", stream_failure);
            if (!st.ok()) return Fail("serve", st);
            std::cout << "strata serve: stopped (" << s.core().logger()->rows_written() << " feature-log rows written, "
                      << s.core().logger()->dropped() << " dropped)" << std::endl;
            return kExitOk;
          }};
}

}  // namespace strata::cli
