#pragma once
// Hashes of entity keys: the high half picks a partition, the low half a hash-table slot.

#include <arrow/array.h>

#include <cstdint>
#include <functional>
#include <string_view>

namespace strata::training {

inline uint64_t HashKey(int64_t key) {
  uint64_t x = static_cast<uint64_t>(key);  // murmur3's finalizer: every bit affects every bit
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}
inline uint64_t HashKey(std::string_view key) { return HashKey(static_cast<int64_t>(std::hash<std::string_view>{}(key))); }

inline int PartitionOf(uint64_t hash, int partitions) {
  return static_cast<int>(((hash >> 32) * static_cast<uint64_t>(partitions)) >> 32);
}

// The partition of each row of a normalized key column (int64 or utf8); -1 for a null key.
inline void PartitionsOf(const arrow::Array& keys, int partitions, std::vector<int32_t>* out) {
  out->resize(keys.length());
  if (keys.type_id() == arrow::Type::INT64) {
    const auto& k = static_cast<const arrow::Int64Array&>(keys);
    for (int64_t i = 0; i < k.length(); ++i) (*out)[i] = k.IsNull(i) ? -1 : PartitionOf(HashKey(k.Value(i)), partitions);
  } else {
    const auto& k = static_cast<const arrow::StringArray&>(keys);
    for (int64_t i = 0; i < k.length(); ++i)
      (*out)[i] = k.IsNull(i) ? -1 : PartitionOf(HashKey(k.GetView(i)), partitions);
  }
}

}  // namespace strata::training
