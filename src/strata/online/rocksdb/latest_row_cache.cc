#include "strata/online/rocksdb/latest_row_cache.h"

#include <absl/hash/hash.h>

#include <algorithm>
#include <array>
#include <mutex>

namespace strata {

namespace {
constexpr size_t kEntryOverhead = 96;  // slot, string headers, deque slot
// Debian's Abseil has its own string_view type.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }
}

LatestRowCache::LatestRowCache(size_t capacity_bytes) : shard_capacity_(capacity_bytes / kShards), shards_(kShards) {}

size_t LatestRowCache::ShardIndex(std::string_view key) {
  // The top bits: the maps index their slots by the low ones of the same hash.
  return (absl::Hash<absl::string_view>()(absl::string_view(key.data(), key.size())) >> 40) % kShards;
}

void LatestRowCache::LookupBatch(std::span<const std::string_view> keys, std::string* arena,
                                 std::vector<std::pair<uint32_t, uint32_t>>* spans,
                                 std::vector<uint8_t>* found, const PrefixFn& prefix) const {
  const size_t n = keys.size();
  // Keys grouped by shard (a counting sort), so that each shard is locked once per batch.
  std::vector<uint8_t> shard_of(n);
  std::array<uint32_t, kShards + 1> start{};
  for (size_t i = 0; i < n; ++i) ++start[(shard_of[i] = static_cast<uint8_t>(ShardIndex(keys[i]))) + 1];
  for (size_t s = 0; s < kShards; ++s) start[s + 1] += start[s];
  std::vector<uint32_t> by_shard(n);
  std::array<uint32_t, kShards> next;
  std::copy(start.begin(), start.end() - 1, next.begin());
  for (size_t i = 0; i < n; ++i) by_shard[next[shard_of[i]]++] = static_cast<uint32_t>(i);
  std::vector<const std::string*> values(n, nullptr);
  // The shards a batch touches are read-locked together (writers lock one shard at a time,
  // so this cannot deadlock) and the whole batch goes through each pass: a request's ~100
  // keys spread over 16 shards, and per shard a pass was too short for its misses to overlap.
  std::array<std::shared_lock<std::shared_mutex>, kShards> locks;
  for (size_t s = 0; s < kShards; ++s)
    if (start[s] != start[s + 1]) locks[s] = std::shared_lock(shards_[s].mu);
  // Three passes so that the misses of a pass overlap: slots, then values, then copies.
  for (size_t s = 0; s < kShards; ++s)
    for (uint32_t j = start[s]; j < start[s + 1]; ++j) shards_[s].map.prefetch(Absl(keys[by_shard[j]]));
  for (size_t s = 0; s < kShards; ++s) {
    const auto& map = shards_[s].map;
    for (uint32_t j = start[s]; j < start[s + 1]; ++j) {
      const uint32_t i = by_shard[j];
      auto it = map.find(Absl(keys[i]));
      if (it == map.end()) continue;
      values[i] = &it->second;
      __builtin_prefetch(it->second.data());
    }
  }
  // A prefix is found by walking the value: its bytes are loaded a few values ahead, as many as
  // the prefixes so far took on average (the first value's first 1 KB as a start).
  size_t prefix_bytes = 0, prefixes = 0, ahead = 0;
  auto load_next = [&] {
    for (; ahead < n && !values[ahead]; ++ahead) {
    }
    if (ahead == n) return;
    const std::string& v = *values[ahead++];
    const size_t len = std::min(v.size(), prefixes ? prefix_bytes / prefixes + 128 : 1024);
    for (size_t off = 64; off < len; off += 64) __builtin_prefetch(v.data() + off);
  };
  if (prefix)
    for (int k = 0; k < 3; ++k) load_next();
  for (size_t i = 0; i < n; ++i) {
    if (!values[i]) continue;
    const std::string_view value = *values[i];
    size_t size = value.size();
    if (prefix) {
      load_next();
      size = std::min(prefix(value), value.size());
      prefix_bytes += size;
      ++prefixes;
    }
    (*spans)[i] = {static_cast<uint32_t>(arena->size()), static_cast<uint32_t>(size)};
    arena->append(value.substr(0, size));
    (*found)[i] = 1;
  }
}

void LatestRowCache::Insert(std::string_view key, std::string_view value, uint64_t epoch) {
  Shard& s = shards_[ShardIndex(key)];
  std::unique_lock lock(s.mu);
  // Checked under the shard lock: a writer updates under it too, before moving the epoch.
  if (epoch_.load(std::memory_order_acquire) != epoch) return;
  Put(s, key, value);
}

void LatestRowCache::Put(Shard& s, std::string_view key, std::string_view value) {
  const size_t size = key.size() + value.size() + kEntryOverhead;
  if (size > shard_capacity_) return Drop(s, key);  // too large to cache: at least no stale value stays
  auto [it, inserted] = s.map.try_emplace(std::string(key), value);
  if (!inserted) {
    s.bytes -= it->first.size() + it->second.size() + kEntryOverhead;
    it->second.assign(value);
  } else {
    s.order.emplace_back(key);
  }
  s.bytes += size;
  while (s.bytes > shard_capacity_ && !s.order.empty()) {
    Drop(s, s.order.front());
    s.order.pop_front();
  }
  // Dropped names stay in `order` until they reach the front; keep it bounded.
  if (s.order.size() > 2 * s.map.size() + 1024) {
    std::deque<std::string> live;
    for (auto& k : s.order)
      if (s.map.contains(k)) live.push_back(std::move(k));
    s.order.swap(live);
  }
}

void LatestRowCache::Drop(Shard& s, std::string_view key) {
  auto it = s.map.find(Absl(key));
  if (it == s.map.end()) return;
  s.bytes -= it->first.size() + it->second.size() + kEntryOverhead;
  s.map.erase(it);
}

void LatestRowCache::EndWrite(std::span<const Written> written, bool store) {
  // No write can be cached since BeginWrite (Insert checks the epoch): when dropping from an
  // empty cache (a bulk ingest's), there is nothing to do.
  if (!store) {
    bool empty = true;
    for (auto& s : shards_) {
      std::shared_lock lock(s.mu);
      empty = empty && s.map.empty();
    }
    if (empty) {
      epoch_.fetch_add(1, std::memory_order_acq_rel);
      return;
    }
  }
  // Shard by shard, each locked once (a bulk write has many keys).
  std::array<std::vector<uint32_t>, kShards> by_shard;
  for (size_t i = 0; i < written.size(); ++i) by_shard[ShardIndex(*written[i].key)].push_back(static_cast<uint32_t>(i));
  for (size_t k = 0; k < kShards; ++k) {
    if (by_shard[k].empty()) continue;
    Shard& s = shards_[k];
    std::unique_lock lock(s.mu);
    if (!store && s.map.empty()) continue;  // nothing to drop
    for (uint32_t i : by_shard[k]) {
      if (store) Put(s, *written[i].key, written[i].value);
      else Drop(s, *written[i].key);
    }
  }
  epoch_.fetch_add(1, std::memory_order_acq_rel);
}

size_t LatestRowCache::bytes() const {
  size_t total = 0;
  for (auto& s : shards_) {
    std::shared_lock lock(s.mu);
    total += s.bytes;
  }
  return total;
}

}  // namespace strata
