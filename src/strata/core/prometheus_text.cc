#include "strata/core/prometheus_text.h"

#include <algorithm>
#include <charconv>

namespace strata {

namespace {

// The shortest text that reads back as `v` (integers without a fraction or exponent).
std::string Number(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

void AppendMetricHeader(const std::string& name, const char* type, const char* help, std::string* out) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void AppendSample(const std::string& name, const std::string& labels, double value, std::string* out) {
  *out += name;
  if (!labels.empty()) *out += "{" + labels + "}";
  *out += " " + Number(value) + "\n";
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  const size_t b = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<uint64_t>(std::max(0.0, value) * 1e9), std::memory_order_relaxed);
}

void Histogram::Render(const std::string& name, const std::string& labels, std::string* out) const {
  uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds_.size() ? Number(bounds_[i]) : "+Inf";
    AppendSample(name + "_bucket", labels + sep + "le=\"" + le + "\"", static_cast<double>(cumulative), out);
  }
  AppendSample(name + "_sum", labels, static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9, out);
  AppendSample(name + "_count", labels, static_cast<double>(count_.load(std::memory_order_relaxed)), out);
}

}  // namespace strata
