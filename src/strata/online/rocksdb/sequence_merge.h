#pragma once
// Sequence values are written with RocksDB's Merge: a write batch appends each key's new events
// as one merge operand (no read of the stored sequence, no rewrite of up to max_length events
// per event), and RocksDB folds the operands into the value when it is read, flushed or
// compacted — with the same ordering and trimming a read-modify-write would have applied.
//
// Trimming (rule 4): an event e is kept while fewer than max_length newer events are visible at
// t = max(e.event_time, now - history), the earliest time a read inside the history window can
// see e, and while it has not outlived the retention before the window. Both conditions only
// grow stricter as `now` advances, so trimming at a later merge never drops what an earlier one
// kept and a read sees exactly what an eager merge would have stored.

#include <rocksdb/merge_operator.h>

#include <memory>
#include <string>
#include <vector>

#include "strata/online/rocksdb/expiry_compaction_filter.h"
#include "strata/online/rocksdb/storage_layout.h"

namespace strata {

struct SequenceTrim {
  size_t max_length = SIZE_MAX;
  int64_t lifetime = 0;       // retention; 0 = unbounded
  int64_t cutoff = INT64_MIN; // now - history
};

// The trimming rule of `g` at wall-clock time `now`.
SequenceTrim TrimAt(const GroupRetention& g, int64_t now);

// Sorts `events` newest first (ties: the higher write_seq; stable otherwise) and appends the
// ones `trim` keeps to `out`, encoded as a sequence value.
void EncodeTrimmedSequence(std::vector<rocks_layout::SequenceEvent>* events, const SequenceTrim& trim, std::string* out);

// The merge operator of the sequence column family; trims with the policies the store was given.
class SequenceMergeOperator final : public rocksdb::MergeOperator {
 public:
  explicit SequenceMergeOperator(std::shared_ptr<RetentionPolicies> policies) : policies_(std::move(policies)) {}

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override;
  bool PartialMergeMulti(const rocksdb::Slice& key, const std::deque<rocksdb::Slice>& operands, std::string* new_value,
                         rocksdb::Logger* logger) const override;
  const char* Name() const override { return "strata.SequenceMergeOperator"; }

 private:
  // The trimming of the key's group now; none for a group the store does not know (dropped).
  SequenceTrim TrimFor(const rocksdb::Slice& key) const;

  std::shared_ptr<RetentionPolicies> policies_;
};

}  // namespace strata
