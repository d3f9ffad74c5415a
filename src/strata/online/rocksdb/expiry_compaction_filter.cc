#include "strata/online/rocksdb/expiry_compaction_filter.h"

#include "strata/core/time.h"
#include "strata/online/rocksdb/storage_layout.h"

namespace strata {

namespace {

namespace L = rocks_layout;

class ExpiryCompactionFilter : public rocksdb::CompactionFilter {
 public:
  ExpiryCompactionFilter(std::shared_ptr<const RetentionMap> map, ColumnFamilyRole role, int64_t now)
      : map_(std::move(map)), role_(role), now_(now) {}

  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& value, std::string* /*new_value*/,
              bool* /*value_changed*/) const override {
    const std::string_view k(key.data(), key.size());
    const std::string_view v(value.data(), value.size());
    auto it = map_->find(L::GroupOf(k));
    if (it == map_->end()) return false;
    const GroupRetention& g = it->second;
    int64_t cutoff;
    if (__builtin_sub_overflow(now_, g.history, &cutoff)) return false;
    switch (role_) {
      case ColumnFamilyRole::kLatest: {
        if (g.kind != GroupKind::kTable) return false;  // sequence heads are tiny counters
        L::LatestRow row;
        return L::DecodeLatest(v, &row) && L::OutlivedBefore(row.event_time, g.lifetime, cutoff);
      }
      case ColumnFamilyRole::kHistory: {
        if (k.size() < 20) return false;
        int64_t superseded_at;
        std::string_view row;
        if (!L::DecodeHistory(v, &superseded_at, &row)) return false;
        return L::HistoryRowDead(L::TimedKeyEventTime(k), superseded_at, g.lifetime, cutoff);
      }
      case ColumnFamilyRole::kSequence:
        return false;  // rewritten in FilterV2
    }
    return false;
  }

  // Sequence values hold many events: drop the expired ones, and the value once none is left.
  Decision FilterV2(int level, const rocksdb::Slice& key, ValueType value_type, const rocksdb::Slice& value,
                    std::string* new_value, std::string* skip_until) const override {
    if (role_ != ColumnFamilyRole::kSequence || value_type != ValueType::kValue)
      return CompactionFilter::FilterV2(level, key, value_type, value, new_value, skip_until);
    auto it = map_->find(L::GroupOf({key.data(), key.size()}));
    if (it == map_->end() || it->second.lifetime <= 0) return Decision::kKeep;
    int64_t cutoff;
    if (__builtin_sub_overflow(now_, it->second.history, &cutoff)) return Decision::kKeep;
    L::SequenceReader reader({value.data(), value.size()});
    L::SequenceEvent e;
    std::string kept;
    size_t dropped = 0;
    while (reader.Next(&e)) {
      if (L::OutlivedBefore(e.event_time, it->second.lifetime, cutoff)) ++dropped;
      else L::AppendSequenceEvent(&kept, e);
    }
    if (reader.corrupt() || dropped == 0) return Decision::kKeep;
    if (kept.empty()) return Decision::kRemove;
    *new_value = std::move(kept);
    return Decision::kChangeValue;
  }

  const char* Name() const override { return "strata.ExpiryCompactionFilter"; }

 private:
  std::shared_ptr<const RetentionMap> map_;
  ColumnFamilyRole role_;
  int64_t now_;
};

}  // namespace

std::unique_ptr<rocksdb::CompactionFilter> ExpiryCompactionFilterFactory::CreateCompactionFilter(
    const rocksdb::CompactionFilter::Context& /*context*/) {
  return std::make_unique<ExpiryCompactionFilter>(policies_->Get(), role_, NowMicros());
}

}  // namespace strata
