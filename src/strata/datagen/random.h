#pragma once
// A small, portable random source for generated datasets. The standard library's
// distributions differ between implementations, so a seed would not give the same data
// everywhere; these are defined here bit for bit (xoshiro256** seeded by splitmix64).

#include <cmath>
#include <cstdint>
#include <vector>

namespace strata::datagen {

class Random {
 public:
  explicit Random(uint64_t seed) {
    for (auto& s : state_) s = SplitMix(seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>(Uniform() * static_cast<double>(n)); }
  bool Bernoulli(double p) { return Uniform() < p; }

  // Standard normal (Box-Muller; the second value is kept for the next call).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = Uniform();
    while (u <= 0.0) u = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u));
    const double a = 2.0 * M_PI * Uniform();
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }

  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }
  // Pareto with minimum 1 and tail index alpha: a power law.
  double Pareto(double alpha) { return std::pow(1.0 - Uniform(), -1.0 / alpha); }
  double LogNormal(double mu, double sigma) { return std::exp(mu + sigma * Normal()); }
  // Number of failures before the first success, with the given mean.
  int64_t Geometric(double mean) {
    const double p = 1.0 / (1.0 + mean);
    return static_cast<int64_t>(std::floor(std::log(1.0 - Uniform()) / std::log(1.0 - p)));
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

// Draws indexes with probability proportional to fixed weights (cumulative sums + binary search).
class WeightedSampler {
 public:
  explicit WeightedSampler(const std::vector<double>& weights) : cumulative_(weights.size()) {
    double sum = 0;
    for (size_t i = 0; i < weights.size(); ++i) cumulative_[i] = (sum += weights[i]);
  }
  size_t Sample(Random& rng) const {
    const double x = rng.Uniform() * cumulative_.back();
    size_t lo = 0, hi = cumulative_.size() - 1;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (cumulative_[mid] > x) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

 private:
  std::vector<double> cumulative_;
};

}  // namespace strata::datagen
