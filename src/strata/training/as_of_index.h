#pragma once
// The feature rows of one partition indexed for point-in-time lookups: a hash table from
// entity key to the key's rows, sorted by (event_time, write_seq). A lookup as of t finds
// the newest visible row by binary search (rules 1, 2 and 4 of DESIGN.md).

#include <arrow/type_fwd.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "strata/core/status.h"

namespace strata::training {

class AsOfIndex {
 public:
  // `keys` (int64 or utf8, no nulls), `times` and `seqs` describe the same rows.
  static Result<AsOfIndex> Build(std::shared_ptr<arrow::Array> keys, const int64_t* times, const int64_t* seqs);

  // The range [begin, end) of sorted positions holding a key's rows (empty for unknown keys).
  std::pair<uint32_t, uint32_t> Find(int64_t key) const;
  std::pair<uint32_t, uint32_t> Find(std::string_view key) const;

  // The position of the newest row of range visible at t (event_time <= t and, with a
  // lifetime, t - event_time <= lifetime), or -1.
  int64_t Latest(std::pair<uint32_t, uint32_t> range, int64_t t, std::optional<int64_t> lifetime) const;

  int64_t time_at(uint32_t pos) const { return sorted_times_[pos]; }
  uint32_t row_at(uint32_t pos) const { return order_[pos]; }  // the input row at a sorted position

 private:
  struct Slot {
    uint64_t hash_or_key;  // int keys: the key; string keys: the hash
    uint32_t id_plus_one;  // 0: empty
  };
  template <typename Eq>
  uint32_t Probe(uint64_t hash, uint64_t stored, Eq eq) const;
  void Grow();

  std::shared_ptr<arrow::Array> keys_;
  bool string_keys_ = false;
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  std::vector<uint32_t> first_row_;   // per key id: a row holding the key
  std::vector<uint32_t> offsets_;     // per key id: start in order_ (plus one past the end)
  std::vector<uint32_t> order_;       // rows sorted by (key id, event_time, write_seq)
  std::vector<int64_t> sorted_times_; // event_time of order_[i]
};

}  // namespace strata::training
