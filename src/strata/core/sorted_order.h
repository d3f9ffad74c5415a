#pragma once
// The sorted order of many byte-string keys (stable: equal keys keep their order). Bulk writes
// sort a million keys at a time, where comparing strings through memcmp took a third of the
// online write and std::sort of integer heads an eighth: an LSD radix sort of each key's first
// 16 bytes, on the bytes that differ between keys only (3 passes for a million int64 keys),
// then whole keys compared where those heads tie. Keys already in order cost one pass.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace strata {

// order[k] is the index of the k-th smallest key.
std::vector<uint32_t> SortedOrder(std::span<const std::string> keys);

}  // namespace strata
