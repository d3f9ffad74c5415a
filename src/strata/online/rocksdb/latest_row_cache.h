#pragma once
// The latest stored value of hot table-group keys, in memory in front of RocksDB. A point
// lookup in RocksDB costs ~2 µs even from its caches (a version pin, a row-cache probe per
// overlapping file, a block search); a served request reads hundreds of keys, so the writer
// process keeps the values it last read or wrote here (~0.1 µs a lookup).
//
// Consistency: every committed write batch invalidates the keys it wrote. A reader takes the
// write epoch before and after its lookups; if a write ran in between, it reads everything
// again from one RocksDB MultiGet, so a request still sees a write batch entirely or not at all.
// A value read from RocksDB is cached only if no write began since the reader's epoch.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <deque>
#include <vector>

namespace strata {

class LatestRowCache {
 public:
  explicit LatestRowCache(size_t capacity_bytes);

  // Even when no write is in progress; pass it to Insert and compare it after the lookups.
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  static bool Stable(uint64_t epoch) { return (epoch & 1) == 0; }

  // Appends the cached value of `key` (as stored in the latest column family) to `*arena`:
  // one copy under the shard lock, no reference counting; false when absent.
  bool LookupInto(std::string_view key, std::string* arena) const;
  // Caches `value` for `key` unless a write began since `epoch` was read.
  void Insert(std::string_view key, std::string_view value, uint64_t epoch);

  // Writers: BeginWrite before committing a batch, EndWrite(keys) after it committed.
  void BeginWrite() { epoch_.fetch_add(1, std::memory_order_acq_rel); }
  void EndWrite(std::span<const std::string* const> keys);

  size_t bytes() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, std::string, Hash, std::equal_to<>> map;
    std::deque<std::string> order;  // insertion order, for eviction (stale names are skipped)
    size_t bytes = 0;
  };
  static constexpr size_t kShards = 64;
  Shard& ShardOf(std::string_view key) const { return shards_[Hash()(key) % kShards]; }

  size_t shard_capacity_;
  mutable std::vector<Shard> shards_;
  std::atomic<uint64_t> epoch_{0};
};

}  // namespace strata
