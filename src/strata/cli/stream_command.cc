// `strata stream --config stream.yaml`: consumes Kafka topics into feature groups, exactly once
// into both stores, until SIGTERM/SIGINT (or, with --stop-at-end, the ends of the partitions).

#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include "strata/cli/command.h"
#include "strata/core/file_io.h"
#include "strata/core/repo_yaml.h"
#include "strata/ingest/kafka_stream.h"
#include "strata/serving/http_service.h"
#include "strata/serving/remote_stream_sink.h"

namespace strata::cli {

Command AddStreamCommand(CLI::App& parent) {
  struct Args {
    std::string repo = ".";
    std::string config;
    std::string name;
    std::string metrics;
    std::string server;
    bool stop_at_end = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* app = parent.add_subcommand(
      "stream", "Consume Kafka topics into feature groups, exactly once into the online and offline stores (docs/streaming.md)");
  app->add_option("--config", args->config,
                  "Stream configuration file (YAML: kafka properties, topics -> groups, commits); default: a stream of "
                  "strata.yaml's streams: section");
  app->add_option("--name", args->name, "Which stream of strata.yaml's streams: to run (needed when it defines several)");
  app->add_option("--repo", args->repo, "Feature repository directory")->capture_default_str();
  app->add_option("--metrics", args->metrics, "Serve Prometheus metrics at HOST:PORT/metrics (port 0: any free port)");
  app->add_option("--server", args->server,
                  "Write through the strata serve at HOST:PORT (gRPC) instead of opening the stores: several such "
                  "processes in one consumer group split the partitions, exactly once (docs/streaming.md)");
  app->add_flag("--stop-at-end", args->stop_at_end, "Stop once every assigned partition is consumed to its end");
  return {app, [args]() -> int {
            sigset_t stop_signals;
            sigemptyset(&stop_signals);
            sigaddset(&stop_signals, SIGTERM);
            sigaddset(&stop_signals, SIGINT);
            pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

            if (!args->config.empty() && !args->name.empty())
              return Fail("stream", Status::InvalidArgument("--name picks a stream of strata.yaml; a --config file names its own"),
                          kExitUsageError);
            auto config = LoadStreamConfig(args->repo, args->config, args->name);
            if (!config.ok()) return Fail("stream", config.status(), kExitUsageError);
            std::unique_ptr<FeatureRepository> repo;
            Result<std::unique_ptr<KafkaStream>> stream = Status::Internal("no stream");
            if (args->server.empty()) {
              auto opened = FeatureRepository::Open(args->repo, {.write_only = true});
              if (!opened.ok()) return Fail("stream", opened.status());
              repo = std::move(*opened);
              stream = KafkaStream::Open(*repo, *config);
            } else {
              // The server owns the stores; this process only needs the definitions to decode.
              const std::string yaml = (std::filesystem::path(args->repo) / "strata.yaml").string();
              auto text = ReadFileToString(yaml);
              if (!text.ok()) return Fail("stream", text.status().WithContext("reading " + yaml), kExitUsageError);
              auto definition = ParseRepoYaml(*text, yaml);
              if (!definition.ok()) return Fail("stream", definition.status(), kExitUsageError);
              auto sink = serving::RemoteStreamSink::Connect(args->server, config->name, config->commit_rows,
                                                             config->commit_interval_ms);
              if (!sink.ok()) return Fail("stream", sink.status(), kExitUsageError);
              stream = KafkaStream::OpenRemote(std::move(*definition), args->repo, *config, std::move(*sink));
            }
            if (!stream.ok()) return Fail("stream", stream.status());

            std::unique_ptr<httplib::Server> metrics;
            std::thread metrics_thread;
            int metrics_port = 0;
            if (!args->metrics.empty()) {
              auto host_port = serving::ParseHostPort(args->metrics, "--metrics");
              if (!host_port.ok()) return Fail("stream", host_port.status(), kExitUsageError);
              const auto& [host, port] = *host_port;
              metrics = std::make_unique<httplib::Server>();
              KafkaStream* s = stream->get();
              metrics->Get("/metrics", [s](const httplib::Request&, httplib::Response& res) {
                res.set_content(s->RenderMetrics(), "text/plain; version=0.0.4");
              });
              metrics_port = port == 0 ? metrics->bind_to_any_port(host) : (metrics->bind_to_port(host, port) ? port : -1);
              if (metrics_port <= 0) return Fail("stream", Status::IOError("--metrics " + args->metrics + ": cannot bind"));
              metrics_thread = std::thread([&] { metrics->listen_after_bind(); });
            }
            std::atomic<bool> stop{false};
            std::thread signals([&] {
              int sig = 0;
              sigwait(&stop_signals, &sig);
              stop = true;
            });
            std::cout << "strata stream: " << config->name << ", " << config->topics.size() << " topic(s) into "
                      << (args->server.empty() ? args->repo : "the server at " + args->server);
            if (metrics_port > 0) std::cout << ", metrics on port " << metrics_port;
            if ((*stream)->recovered_rows() > 0)
              std::cout << "; recovered " << (*stream)->recovered_rows() << " rows offline left pending by the last run";
            std::cout << std::endl;
            Status st = (*stream)->Run(stop, args->stop_at_end);
            const auto& c = (*stream)->counters();
            std::cout << "strata stream: stopped: " << c.messages.load() << " messages, " << c.rows.load() << " rows written, "
                      << c.rejected.load() << " rejected, " << c.offline_commits.load() << " offline commits";
            if (c.first_message_micros.load() > 0 && c.last_write_micros.load() > c.first_message_micros.load()) {
              const double secs = static_cast<double>(c.last_write_micros.load() - c.first_message_micros.load()) / 1e6;
              std::cout << " in " << secs << " s from the first message (" << static_cast<int64_t>(c.messages.load() / secs)
                        << " events/s)";
            }
            std::cout << std::endl;
            // Wake the signal thread if no signal came.
            if (!stop.load()) kill(getpid(), SIGTERM);
            signals.join();
            if (metrics) {
              metrics->stop();
              metrics_thread.join();
            }
            stream->reset();
            return st.ok() ? kExitOk : Fail("stream", st);
          }};
}

}  // namespace strata::cli
