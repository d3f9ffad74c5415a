#include "strata/online/rocksdb/sequence_merge.h"

#include <algorithm>

#include "strata/core/time.h"

namespace strata {

namespace L = rocks_layout;

SequenceTrim TrimAt(const GroupRetention& g, int64_t now) {
  SequenceTrim t;
  t.max_length = g.max_length > 0 ? static_cast<size_t>(g.max_length) : SIZE_MAX;
  t.lifetime = g.lifetime;
  if (__builtin_sub_overflow(now, g.history, &t.cutoff)) t.cutoff = INT64_MIN;
  return t;
}

void EncodeTrimmedSequence(std::vector<L::SequenceEvent>* events, const SequenceTrim& trim, std::string* out) {
  std::stable_sort(events->begin(), events->end(), L::NewerEvent);
  const auto& merged = *events;
  size_t first_at_or_before = 0;  // index of the first event with event_time <= t(e); t(e) falls as e gets older
  for (size_t i = 0; i < merged.size(); ++i) {
    const L::SequenceEvent& e = merged[i];
    const int64_t t = std::max(e.event_time, trim.cutoff);
    while (first_at_or_before < i && merged[first_at_or_before].event_time > t) ++first_at_or_before;
    const size_t newer_visible = i - std::min(first_at_or_before, i);
    if (newer_visible < trim.max_length && !L::OutlivedBefore(e.event_time, trim.lifetime, trim.cutoff))
      L::AppendSequenceEvent(out, e);
  }
}

namespace {

// Decodes every value (each newest first) into one list of events.
bool DecodeAll(const rocksdb::Slice* base, const auto& operands, std::vector<L::SequenceEvent>* events) {
  if (base && !L::DecodeSequence({base->data(), base->size()}, events)) return false;
  for (const rocksdb::Slice& op : operands)
    if (!L::DecodeSequence({op.data(), op.size()}, events)) return false;
  return true;
}

}  // namespace

SequenceTrim SequenceMergeOperator::TrimFor(const rocksdb::Slice& key) const {
  const auto map = policies_->Get();
  auto it = map->find(L::GroupOf({key.data(), key.size()}));
  return it != map->end() ? TrimAt(it->second, NowMicros()) : SequenceTrim{};
}

bool SequenceMergeOperator::FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const {
  std::vector<L::SequenceEvent> events;
  if (!DecodeAll(in.existing_value, in.operand_list, &events)) return false;  // RocksDB reports corruption
  out->new_value.clear();
  EncodeTrimmedSequence(&events, TrimFor(in.key), &out->new_value);
  return true;
}

bool SequenceMergeOperator::PartialMergeMulti(const rocksdb::Slice& key, const std::deque<rocksdb::Slice>& operands,
                                              std::string* new_value, rocksdb::Logger*) const {
  // Without the base value fewer events are newer than each one, so trimming here keeps a
  // superset of what the full merge keeps: safe, and it bounds the operand's size.
  std::vector<L::SequenceEvent> events;
  if (!DecodeAll(nullptr, operands, &events)) return false;
  new_value->clear();
  EncodeTrimmedSequence(&events, TrimFor(key), new_value);
  return true;
}

}  // namespace strata
