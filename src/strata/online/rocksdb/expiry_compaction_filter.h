#pragma once
// Reclaims expired rows during RocksDB compaction, so TTL and retention cost no scans.
// A row is dropped only when no read inside the group's history window can see it:
//   latest:   event_time + ttl < now - history
//   history:  superseded_at < now - history, or event_time + ttl < now - history
//   sequence: event_time + retention < now - history
// Rows of groups the store does not know (dropped groups) are kept.

#include <rocksdb/compaction_filter.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "strata/core/definitions.h"

namespace strata {

struct GroupRetention {
  GroupKind kind = GroupKind::kTable;
  int64_t lifetime = 0;  // ttl or retention; 0 = unbounded
  int64_t history = 0;
  int32_t max_length = 0;  // sequence groups: events kept per key
};

inline GroupRetention RetentionOf(const FeatureGroupDef& g) {
  return GroupRetention{g.kind, g.Lifetime().value_or(0), g.history, g.max_length};
}

using RetentionMap = std::unordered_map<uint32_t, GroupRetention>;

// The policies shared by the store and its compaction filters.
class RetentionPolicies {
 public:
  void Set(std::shared_ptr<const RetentionMap> map) {
    std::lock_guard lock(mu_);
    map_ = std::move(map);
  }
  std::shared_ptr<const RetentionMap> Get() const {
    std::lock_guard lock(mu_);
    return map_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const RetentionMap> map_ = std::make_shared<RetentionMap>();
};

enum class ColumnFamilyRole { kLatest, kHistory, kSequence };

class ExpiryCompactionFilterFactory : public rocksdb::CompactionFilterFactory {
 public:
  ExpiryCompactionFilterFactory(std::shared_ptr<RetentionPolicies> policies, ColumnFamilyRole role)
      : policies_(std::move(policies)), role_(role) {}

  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& context) override;
  const char* Name() const override { return "strata.ExpiryCompactionFilterFactory"; }

 private:
  std::shared_ptr<RetentionPolicies> policies_;
  ColumnFamilyRole role_;
};

}  // namespace strata
