#pragma once
// The latest stored value of hot keys (table rows and whole sequences), in memory in front of
// RocksDB. A point lookup in RocksDB costs ~2 µs even from its caches (a version pin, a
// row-cache probe per overlapping file, a block search); a served request reads hundreds of keys, so the writer
// process keeps the values it last read or wrote here. A batch of keys is looked up shard by
// shard with the hash slots and then the values prefetched, so that its cache misses overlap.
//
// Consistency: every write batch drops the keys it wrote, or (write-through, for processes that
// only write) stores their new values once committed. A reader takes the write epoch before and
// after its lookups; if a write ran in between, it reads everything again from one RocksDB
// MultiGet, so a request still sees a write batch entirely or not at all. A value read from
// RocksDB is cached only if no write began since the reader's epoch. So between writes every
// cached value is the committed one, and the writer reads the state of the keys it writes here
// first: with write-through, a bulk ingest finds most of its keys' states without a RocksDB
// lookup. (Serving processes drop instead: write-through measured ~20% slower reads after a
// bulk load in bench/online_lookup, not understood.)

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

class LatestRowCache {
 public:
  explicit LatestRowCache(size_t capacity_bytes);

  // Even when no write is in progress; pass it to Insert and compare it after the lookups.
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  static bool Stable(uint64_t epoch) { return (epoch & 1) == 0; }

  // For each key found, appends its value (as stored) to `*arena` and sets (*spans)[i] =
  // {offset, size}, (*found)[i] = 1. `spans` and `found` are sized to keys. `prefix`, when set,
  // says how many leading bytes of a value the caller needs (a sequence read needs its newest
  // events only): only those are copied.
  using PrefixFn = std::function<size_t(std::string_view value)>;
  void LookupBatch(std::span<const std::string_view> keys, std::string* arena,
                   std::vector<std::pair<uint32_t, uint32_t>>* spans, std::vector<uint8_t>* found,
                   const PrefixFn& prefix = nullptr) const;
  // Caches `value` for `key` unless a write began since `epoch` was read.
  void Insert(std::string_view key, std::string_view value, uint64_t epoch);

  // Writers: BeginWrite before committing a batch, EndWrite after it with the keys it wrote and
  // their new values: stored when `store` (write-through of a committed batch), else dropped.
  struct Written {
    const std::string* key;
    std::string_view value;
  };
  void BeginWrite() { epoch_.fetch_add(1, std::memory_order_acq_rel); }
  void EndWrite(std::span<const Written> written, bool store);

  size_t bytes() const;

 private:
  struct Shard {
    mutable std::shared_mutex mu;
    absl::flat_hash_map<std::string, std::string> map;
    std::deque<std::string> order;  // insertion order, for eviction (stale names are skipped)
    size_t bytes = 0;
  };
  static constexpr size_t kShards = 16;
  static size_t ShardIndex(std::string_view key);
  // Stores `value` for `key` in `s` (locked), evicting the oldest entries beyond capacity.
  void Put(Shard& s, std::string_view key, std::string_view value);
  // Removes `key` from `s` (locked), if there (its name may stay in `order`).
  void Drop(Shard& s, std::string_view key);

  size_t shard_capacity_;
  mutable std::vector<Shard> shards_;
  std::atomic<uint64_t> epoch_{0};
};

}  // namespace strata
