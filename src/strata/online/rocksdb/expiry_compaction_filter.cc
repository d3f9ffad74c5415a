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
        return superseded_at < cutoff || L::OutlivedBefore(L::TimedKeyEventTime(k), g.lifetime, cutoff);
      }
      case ColumnFamilyRole::kSequence:
        return k.size() >= 20 && L::OutlivedBefore(L::TimedKeyEventTime(k), g.lifetime, cutoff);
    }
    return false;
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
