#pragma once
// The latest rows a write-only process (`strata ingest`) wrote in bulk, in key order. A bulk
// write must read the stored state of every key it writes; once a million keys are in the
// store, one pass of a RocksDB iterator over them (merging memtables and files, decompressing
// and checking blocks) was the largest cost of an ingest's online write. Merging the write's
// sorted keys against this run instead is a walk over two sorted arrays.
//
// The run holds exactly the latest values committed by the bulk writes since it was started, so
// a key missing from it is read from RocksDB, unless its group held no key at all when the run
// started (then it is absent). The owner clears the run when anything else writes latest rows
// (a small write, a failed commit) and when it grows past its byte budget.

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strata/online/rocksdb/storage_layout.h"

namespace strata {

class WrittenStateRun {
 public:
  struct Entry {
    std::string key;    // the stored key (group id, entity key)
    std::string value;  // the stored latest value
  };

  explicit WrittenStateRun(size_t budget_bytes) : budget_bytes_(budget_bytes) {}

  bool active() const { return active_; }
  // True once the run outgrew its budget: it is not started again in this process.
  bool exhausted() const { return exhausted_; }
  // Starts a run (empty); `empty_groups` are the groups that hold no latest row now.
  void Start(std::set<uint32_t> empty_groups);
  void Clear();

  // For `keys` (sorted, unique): found(i, value) for each one in the run; the indices of the
  // others that may be stored (their group was not empty at the start) go to `unknown`.
  // Values stay valid until the next Merge or Clear.
  template <typename Fn>
  void Lookup(std::span<const std::string_view> keys, Fn&& found, std::vector<size_t>* unknown) const;

  // Adds the latest values of a committed write (sorted by key, unique), replacing older ones.
  // Past the budget the run is cleared (the next bulk write reads RocksDB again).
  void Merge(std::vector<Entry> written);

  size_t bytes() const { return bytes_; }

 private:
  size_t budget_bytes_;
  bool active_ = false;
  bool exhausted_ = false;
  std::set<uint32_t> empty_groups_;
  std::vector<Entry> entries_;
  size_t bytes_ = 0;
};

template <typename Fn>
void WrittenStateRun::Lookup(std::span<const std::string_view> keys, Fn&& found, std::vector<size_t>* unknown) const {
  size_t r = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    // Gallop when the run is much larger than the keys: a binary search from here.
    if (r < entries_.size() && entries_[r].key < keys[i]) {
      size_t step = 1;
      while (r + step < entries_.size() && entries_[r + step].key < keys[i]) step *= 2;
      size_t lo = r + step / 2, hi = std::min(r + step, entries_.size());
      while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (entries_[mid].key < keys[i]) lo = mid + 1;
        else hi = mid;
      }
      r = lo;
    }
    if (r < entries_.size() && entries_[r].key == keys[i]) found(i, std::string_view(entries_[r].value));
    else if (keys[i].size() < 4 || !empty_groups_.count(rocks_layout::GroupOf(keys[i]))) unknown->push_back(i);
  }
}

}  // namespace strata
