#include "strata/loader/epoch_plan.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace strata::loader {

namespace {

uint64_t Mix(uint64_t a, uint64_t b) { return SplitMix64(a ^ (b * 0xD6E8FEB86659FD93ull)).Next(); }

template <typename T>
void Shuffle(std::vector<T>* v, SplitMix64* rng) {
  for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[rng->Below(i)]);
}

}  // namespace

EpochPlan EpochPlan::Make(const std::vector<Unit>& units, const PlanOptions& options, int64_t epoch) {
  EpochPlan plan;
  plan.shuffle_ = options.shuffle;
  const uint64_t epoch_seed = Mix(options.seed, static_cast<uint64_t>(epoch));
  std::vector<int> order(units.size());
  std::iota(order.begin(), order.end(), 0);
  if (options.shuffle) {
    SplitMix64 rng(epoch_seed);
    Shuffle(&order, &rng);
  }
  plan.window_seed_ = Mix(Mix(epoch_seed, static_cast<uint64_t>(options.shard)), static_cast<uint64_t>(options.num_shards));
  // Without shuffling a window is one unit: there is nothing to mix.
  const int64_t window_rows = options.shuffle ? std::max<int64_t>(1, options.shuffle_buffer_rows) : 1;
  Window current;
  for (size_t i = static_cast<size_t>(options.shard); i < order.size(); i += static_cast<size_t>(options.num_shards)) {
    const Unit& u = units[static_cast<size_t>(order[i])];
    if (u.rows == 0) continue;
    if (current.units.empty()) current.first_row = plan.rows_;
    current.units.push_back(order[i]);
    current.rows += u.rows;
    plan.rows_ += u.rows;
    if (current.rows >= window_rows) plan.windows_.push_back(std::exchange(current, Window{}));
  }
  if (!current.units.empty()) plan.windows_.push_back(std::move(current));
  return plan;
}

std::vector<uint32_t> EpochPlan::RowOrder(int w) const {
  std::vector<uint32_t> order(static_cast<size_t>(windows_[static_cast<size_t>(w)].rows));
  std::iota(order.begin(), order.end(), 0u);
  if (shuffle_) {
    SplitMix64 rng(Mix(window_seed_, static_cast<uint64_t>(w)));
    Shuffle(&order, &rng);
  }
  return order;
}

int EpochPlan::WindowAt(int64_t row) const {
  auto it = std::upper_bound(windows_.begin(), windows_.end(), row,
                             [](int64_t r, const Window& w) { return r < w.first_row + w.rows; });
  return static_cast<int>(it - windows_.begin());
}

}  // namespace strata::loader
