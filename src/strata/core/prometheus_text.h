#pragma once
// Metrics in Prometheus's text format, shared by `strata serve` and `strata stream`: sample
// lines and a cumulative-bucket histogram updated from many threads with relaxed atomics.

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace strata {

// "# HELP name help" and "# TYPE name type" lines.
void AppendMetricHeader(const std::string& name, const char* type, const char* help, std::string* out);
// "name{labels} value" (labels: `a="b",c="d"`, or empty).
void AppendSample(const std::string& name, const std::string& labels, double value, std::string* out);

// A histogram of values (seconds, by Prometheus's convention) over fixed upper bounds.
class Histogram {
 public:
  // `bounds`: increasing upper bounds; must outlive the histogram (a static array).
  explicit Histogram(std::span<const double> bounds);

  void Observe(double value);
  // Appends the _bucket/_sum/_count lines of `name` with `labels` (no header).
  void Render(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one per bound, and +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_nanos_{0};  // value * 1e9: atomics on integers
};

}  // namespace strata
