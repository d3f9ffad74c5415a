#include "strata/core/sorted_order.h"

#include <algorithm>
#include <array>
#include <cstddef>

namespace strata {

std::vector<uint32_t> SortedOrder(std::span<const std::string> keys) {
  const size_t n = keys.size();
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  bool sorted = true;  // the writer often hands keys over in order already
  for (size_t i = 1; i < n && sorted; ++i) sorted = keys[i - 1] <= keys[i];
  if (sorted) return order;
  struct Head {
    uint64_t hi, lo;
    uint32_t index;
  };
  auto word = [](const std::string& k, size_t at) {
    uint64_t w = 0;
    for (size_t i = 0; i < 8; ++i) w = (w << 8) | (at + i < k.size() ? static_cast<uint8_t>(k[at + i]) : 0);
    return w;
  };
  std::vector<Head> heads(n), scratch(n);
  uint64_t hi_diff = 0, lo_diff = 0;
  bool long_keys = false;
  for (size_t i = 0; i < n; ++i) {
    heads[i] = {word(keys[i], 0), word(keys[i], 8), static_cast<uint32_t>(i)};
    hi_diff |= heads[i].hi ^ heads[0].hi;
    lo_diff |= heads[i].lo ^ heads[0].lo;
    long_keys |= keys[i].size() > 16 || keys[i].size() != keys[0].size();
  }
  // Least significant byte first; each pass is a stable counting sort.
  for (int pass = 0; pass < 16; ++pass) {
    const bool in_lo = pass < 8;
    const int shift = 8 * (pass % 8);
    if ((((in_lo ? lo_diff : hi_diff) >> shift) & 0xFF) == 0) continue;  // the same in every key
    std::array<uint32_t, 257> start{};
    for (const Head& h : heads) ++start[(((in_lo ? h.lo : h.hi) >> shift) & 0xFF) + 1];
    for (size_t b = 0; b < 256; ++b) start[b + 1] += start[b];
    for (const Head& h : heads) scratch[start[((in_lo ? h.lo : h.hi) >> shift) & 0xFF]++] = h;
    heads.swap(scratch);
  }
  // Keys longer than 16 bytes, or of different lengths, may tie on their heads: order each run of
  // equal heads by the whole key (stable).
  if (long_keys) {
    for (size_t b = 0; b < n;) {
      size_t e = b + 1;
      while (e < n && heads[e].hi == heads[b].hi && heads[e].lo == heads[b].lo) ++e;
      if (e - b > 1)
        std::stable_sort(heads.begin() + static_cast<std::ptrdiff_t>(b), heads.begin() + static_cast<std::ptrdiff_t>(e),
                         [&](const Head& x, const Head& y) { return keys[x.index] < keys[y.index]; });
      b = e;
    }
  }
  for (size_t i = 0; i < n; ++i) order[i] = heads[i].index;
  return order;
}

}  // namespace strata
