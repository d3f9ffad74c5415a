#include "strata/online/rocksdb/latest_row_cache.h"

namespace strata {

namespace {
constexpr size_t kEntryOverhead = 96;  // map node, string headers, deque slot
}

LatestRowCache::LatestRowCache(size_t capacity_bytes) : shard_capacity_(capacity_bytes / kShards), shards_(kShards) {}

bool LatestRowCache::LookupInto(std::string_view key, std::string* arena) const {
  Shard& s = ShardOf(key);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return false;
  arena->append(it->second);
  return true;
}

void LatestRowCache::Insert(std::string_view key, std::string_view value, uint64_t epoch) {
  const size_t size = key.size() + value.size() + kEntryOverhead;
  if (size > shard_capacity_) return;
  Shard& s = ShardOf(key);
  std::lock_guard lock(s.mu);
  // Checked under the shard lock: a writer invalidates under it too, after moving the epoch.
  if (epoch_.load(std::memory_order_acquire) != epoch) return;
  auto [it, inserted] = s.map.try_emplace(std::string(key), value);
  if (!inserted) {
    s.bytes -= it->first.size() + it->second.size() + kEntryOverhead;
    it->second.assign(value);
  } else {
    s.order.emplace_back(key);
  }
  s.bytes += size;
  while (s.bytes > shard_capacity_ && !s.order.empty()) {
    auto victim = s.map.find(s.order.front());
    if (victim != s.map.end()) {
      s.bytes -= victim->first.size() + victim->second.size() + kEntryOverhead;
      s.map.erase(victim);
    }
    s.order.pop_front();
  }
  // Invalidated names stay in `order` until they reach the front; keep it bounded.
  if (s.order.size() > 2 * s.map.size() + 1024) {
    std::deque<std::string> live;
    for (auto& k : s.order)
      if (s.map.count(k)) live.push_back(std::move(k));
    s.order.swap(live);
  }
}

void LatestRowCache::EndWrite(std::span<const std::string* const> keys) {
  for (const std::string* key : keys) {
    Shard& s = ShardOf(*key);
    std::lock_guard lock(s.mu);
    auto it = s.map.find(*key);
    if (it != s.map.end()) {
      s.bytes -= it->first.size() + it->second.size() + kEntryOverhead;
      s.map.erase(it);
    }
  }
  epoch_.fetch_add(1, std::memory_order_acq_rel);
}

size_t LatestRowCache::bytes() const {
  size_t total = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    total += s.bytes;
  }
  return total;
}

}  // namespace strata
