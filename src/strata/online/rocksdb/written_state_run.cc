#include "strata/online/rocksdb/written_state_run.h"

namespace strata {

void WrittenStateRun::Start(std::set<uint32_t> empty_groups) {
  Clear();
  active_ = !exhausted_;
  empty_groups_ = std::move(empty_groups);
}

void WrittenStateRun::Clear() {
  active_ = false;
  empty_groups_.clear();
  std::vector<Entry>().swap(entries_);
  bytes_ = 0;
}

void WrittenStateRun::Merge(std::vector<Entry> written) {
  if (!active_) return;
  std::vector<Entry> merged;
  merged.reserve(entries_.size() + written.size());
  size_t a = 0, b = 0;
  bytes_ = 0;
  auto take = [&](Entry&& e) {
    bytes_ += e.key.size() + e.value.size() + sizeof(Entry);
    merged.push_back(std::move(e));
  };
  while (a < entries_.size() || b < written.size()) {
    if (b == written.size() || (a < entries_.size() && entries_[a].key < written[b].key)) {
      take(std::move(entries_[a++]));
    } else {
      if (a < entries_.size() && entries_[a].key == written[b].key) ++a;  // replaced
      take(std::move(written[b++]));
    }
  }
  entries_.swap(merged);
  if (bytes_ > budget_bytes_) {
    Clear();
    exhausted_ = true;
  }
}

}  // namespace strata
