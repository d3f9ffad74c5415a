#pragma once
// The server's own counters and latency histograms, rendered as Prometheus text. Updated on
// every request from many threads: relaxed atomics only, no lock.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "strata/core/prometheus_text.h"

namespace strata::serving {

enum class Method : uint8_t { kGetFeatures = 0, kPush = 1, kStreamWrite = 2 };
enum class Transport : uint8_t { kGrpc = 0, kHttp = 1 };
enum class Outcome : uint8_t { kOk = 0, kInvalidArgument = 1, kError = 2 };

// Request latency (seconds), Prometheus style.
class LatencyHistogram : public Histogram {
 public:
  static constexpr std::array<double, 16> kBounds = {25e-6, 50e-6, 100e-6, 200e-6, 300e-6, 500e-6, 750e-6, 1e-3,
                                                     2e-3,  5e-3,  10e-3,  25e-3,  50e-3,  100e-3, 500e-3, 1.0};
  LatencyHistogram() : Histogram(kBounds) {}
};

class ServingMetrics {
 public:
  void RecordRequest(Method m, Transport t, Outcome o, double seconds, int64_t keys);
  void RecordPushedRows(int64_t rows) { pushed_rows_.fetch_add(rows, std::memory_order_relaxed); }
  void RecordPushedEventTime(int64_t event_time_micros);

  // Appends this object's metrics in Prometheus text format.
  void Render(std::string* out) const;
  int64_t newest_pushed_event_micros() const { return newest_pushed_event_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kMethods = 3, kTransports = 2, kOutcomes = 3;
  std::array<std::atomic<uint64_t>, kMethods * kTransports * kOutcomes> requests_{};
  std::array<LatencyHistogram, kMethods * kTransports> latency_;
  std::atomic<uint64_t> keys_served_{0};
  std::atomic<uint64_t> pushed_rows_{0};
  std::atomic<int64_t> newest_pushed_event_{0};
};

}  // namespace strata::serving
