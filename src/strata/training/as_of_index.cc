#include "strata/training/as_of_index.h"

#include <arrow/array.h>

#include <algorithm>

#include "strata/training/key_hash.h"

namespace strata::training {

template <typename Eq>
uint32_t AsOfIndex::Probe(uint64_t hash, uint64_t stored, Eq eq) const {
  for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.id_plus_one == 0) return 0;
    if (s.hash_or_key == stored && eq(s.id_plus_one - 1)) return s.id_plus_one;
  }
}

void AsOfIndex::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.size() * 2, Slot{0, 0});
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id_plus_one == 0) continue;
    const uint64_t h = string_keys_ ? s.hash_or_key : HashKey(static_cast<int64_t>(s.hash_or_key));
    uint64_t i = h & mask_;
    while (slots_[i].id_plus_one != 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

Result<AsOfIndex> AsOfIndex::Build(std::shared_ptr<arrow::Array> keys, const int64_t* times, const int64_t* seqs) {
  AsOfIndex ix;
  const int64_t n = keys->length();
  if (n >= int64_t{UINT32_MAX}) return Status::Internal("a training-set partition holds too many rows; raise partitions");
  ix.string_keys_ = keys->type_id() != arrow::Type::INT64;
  ix.keys_ = std::move(keys);
  ix.slots_.assign(1024, Slot{0, 0});
  ix.mask_ = ix.slots_.size() - 1;
  std::vector<uint32_t> ids(static_cast<size_t>(n));
  std::vector<uint32_t> counts;

  auto insert = [&](uint64_t hash, uint64_t stored, uint32_t row, auto eq) -> uint32_t {
    uint64_t i = hash & ix.mask_;
    while (true) {
      Slot& s = ix.slots_[i];
      if (s.id_plus_one == 0) break;
      if (s.hash_or_key == stored && eq(s.id_plus_one - 1)) return s.id_plus_one - 1;
      i = (i + 1) & ix.mask_;
    }
    const uint32_t id = static_cast<uint32_t>(ix.first_row_.size());
    ix.slots_[i] = Slot{stored, id + 1};
    ix.first_row_.push_back(row);
    counts.push_back(0);
    if (ix.first_row_.size() * 2 > ix.slots_.size()) ix.Grow();
    return id;
  };
  if (!ix.string_keys_) {
    const int64_t* k = static_cast<const arrow::Int64Array&>(*ix.keys_).raw_values();
    for (int64_t r = 0; r < n; ++r) {
      const uint32_t id = insert(HashKey(k[r]), static_cast<uint64_t>(k[r]), static_cast<uint32_t>(r),
                                 [](uint32_t) { return true; });
      ids[r] = id;
      ++counts[id];
    }
  } else {
    const auto& k = static_cast<const arrow::StringArray&>(*ix.keys_);
    for (int64_t r = 0; r < n; ++r) {
      const std::string_view key = k.GetView(r);
      const uint32_t id = insert(HashKey(key), HashKey(key), static_cast<uint32_t>(r),
                                 [&](uint32_t id) { return k.GetView(ix.first_row_[id]) == key; });
      ids[r] = id;
      ++counts[id];
    }
  }

  // Counting sort by key id (stable), then each key's rows by (event_time, write_seq): the
  // rows of a key mostly arrive in time order already, so most ranges need no sort.
  const size_t keys_count = ix.first_row_.size();
  ix.offsets_.assign(keys_count + 1, 0);
  for (size_t id = 0; id < keys_count; ++id) ix.offsets_[id + 1] = ix.offsets_[id] + counts[id];
  std::vector<uint32_t> next(ix.offsets_.begin(), ix.offsets_.end() - 1);
  ix.order_.resize(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) ix.order_[next[ids[r]]++] = static_cast<uint32_t>(r);
  ids = {};
  auto before = [&](uint32_t a, uint32_t b) { return times[a] != times[b] ? times[a] < times[b] : seqs[a] < seqs[b]; };
  for (size_t id = 0; id < keys_count; ++id) {
    auto begin = ix.order_.begin() + ix.offsets_[id], end = ix.order_.begin() + ix.offsets_[id + 1];
    if (!std::is_sorted(begin, end, before)) std::sort(begin, end, before);
  }
  ix.sorted_times_.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ix.sorted_times_[i] = times[ix.order_[i]];
  return ix;
}

std::pair<uint32_t, uint32_t> AsOfIndex::Find(int64_t key) const {
  if (string_keys_) return {0, 0};
  const uint32_t id = Probe(HashKey(key), static_cast<uint64_t>(key), [](uint32_t) { return true; });
  if (id == 0) return {0, 0};
  return {offsets_[id - 1], offsets_[id]};
}

std::pair<uint32_t, uint32_t> AsOfIndex::Find(std::string_view key) const {
  if (!string_keys_) return {0, 0};
  const auto& k = static_cast<const arrow::StringArray&>(*keys_);
  const uint64_t h = HashKey(key);
  const uint32_t id = Probe(h, h, [&](uint32_t id) { return k.GetView(first_row_[id]) == key; });
  if (id == 0) return {0, 0};
  return {offsets_[id - 1], offsets_[id]};
}

int64_t AsOfIndex::Latest(std::pair<uint32_t, uint32_t> range, int64_t t, std::optional<int64_t> lifetime) const {
  const int64_t* begin = sorted_times_.data() + range.first;
  const int64_t* end = sorted_times_.data() + range.second;
  const int64_t* it = std::upper_bound(begin, end, t);  // first row after t
  if (it == begin) return -1;
  const int64_t pos = (it - sorted_times_.data()) - 1;
  if (lifetime && t - sorted_times_[pos] > *lifetime) return -1;  // expired (rule 1)
  return pos;
}

}  // namespace strata::training
