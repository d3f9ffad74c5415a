#include "strata/online/rocksdb/written_state_run.h"

#include <algorithm>

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
  // In place, from the back, into a vector that grows geometrically: a new merged vector per
  // commit (64 bytes an entry, a million entries) had the kernel zero fresh pages for all of it
  // every time, a tenth of an ingest's online thread.
  const size_t old_n = entries_.size(), w_n = written.size();
  size_t replaced = 0;
  for (size_t a = 0, b = 0; a < old_n && b < w_n;) {
    if (entries_[a].key < written[b].key) ++a;
    else if (written[b].key < entries_[a].key) ++b;
    else ++replaced, ++a, ++b;
  }
  const size_t n = old_n + w_n - replaced;
  if (n > entries_.capacity()) entries_.reserve(std::max(n, entries_.capacity() + entries_.capacity() / 2));
  entries_.resize(n);
  auto size_of = [](const Entry& e) { return e.key.size() + e.value.size() + sizeof(Entry); };
  // Writing at `out` never overtakes reading at `a`: out - a is the number of written entries
  // still to place that replace nothing.
  size_t a = old_n, b = w_n, out = n;
  while (b > 0) {
    if (a > 0 && written[b - 1].key < entries_[a - 1].key) {
      --a, --out;
      if (out != a) entries_[out] = std::move(entries_[a]);
      continue;
    }
    if (a > 0 && entries_[a - 1].key == written[b - 1].key) bytes_ -= size_of(entries_[--a]);  // replaced
    bytes_ += size_of(written[b - 1]);
    entries_[--out] = std::move(written[--b]);
  }
  if (bytes_ > budget_bytes_) {
    Clear();
    exhausted_ = true;
  }
}

}  // namespace strata
