#include "strata/serving/serving_metrics.h"

#include <fmt/format.h>


namespace strata::serving {

namespace {

constexpr const char* kMethodNames[] = {"GetFeatures", "Push", "StreamWrite"};
constexpr const char* kTransportNames[] = {"grpc", "http"};
constexpr const char* kOutcomeNames[] = {"ok", "invalid_argument", "error"};

}  // namespace

void ServingMetrics::RecordRequest(Method m, Transport t, Outcome o, double seconds, int64_t keys) {
  const size_t mt = static_cast<size_t>(m) * kTransports + static_cast<size_t>(t);
  requests_[mt * kOutcomes + static_cast<size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  latency_[mt].Observe(seconds);
  if (o == Outcome::kOk && m == Method::kGetFeatures) keys_served_.fetch_add(keys, std::memory_order_relaxed);
}

void ServingMetrics::RecordPushedEventTime(int64_t event_time_micros) {
  int64_t seen = newest_pushed_event_.load(std::memory_order_relaxed);
  while (event_time_micros > seen &&
         !newest_pushed_event_.compare_exchange_weak(seen, event_time_micros, std::memory_order_relaxed)) {
  }
}

void ServingMetrics::Render(std::string* out) const {
  AppendMetricHeader("strata_requests_total", "counter", "Requests served, by method, transport and outcome.", out);
  for (size_t m = 0; m < kMethods; ++m)
    for (size_t t = 0; t < kTransports; ++t)
      for (size_t o = 0; o < kOutcomes; ++o)
        AppendSample("strata_requests_total",
                     fmt::format("method=\"{}\",transport=\"{}\",outcome=\"{}\"", kMethodNames[m], kTransportNames[t],
                                 kOutcomeNames[o]),
                     static_cast<double>(requests_[(m * kTransports + t) * kOutcomes + o].load(std::memory_order_relaxed)),
                     out);
  AppendMetricHeader("strata_request_duration_seconds", "histogram", "Time to serve a request, in the server.", out);
  for (size_t m = 0; m < kMethods; ++m)
    for (size_t t = 0; t < kTransports; ++t)
      latency_[m * kTransports + t].Render("strata_request_duration_seconds",
                                           fmt::format("method=\"{}\",transport=\"{}\"", kMethodNames[m], kTransportNames[t]),
                                           out);
  AppendMetricHeader("strata_keys_served_total", "counter", "Entity keys whose features were served.", out);
  AppendSample("strata_keys_served_total", "", static_cast<double>(keys_served_.load(std::memory_order_relaxed)), out);
  AppendMetricHeader("strata_pushed_rows_total", "counter", "Rows written through Push.", out);
  AppendSample("strata_pushed_rows_total", "", static_cast<double>(pushed_rows_.load(std::memory_order_relaxed)), out);
}

}  // namespace strata::serving
