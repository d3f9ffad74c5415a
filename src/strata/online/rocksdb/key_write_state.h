#pragma once
// The state of one stored key while a write batch is applied to it (RocksOnlineStore::Write):
// its latest row, the history rows the batch writes, and a sequence's new events. Rows are
// views: into the batch's writes, a loaded state, or an arena the write keeps.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/online/rocksdb/storage_layout.h"

namespace strata::rocks_write {

inline bool Newer(int64_t et_a, uint64_t seq_a, int64_t et_b, uint64_t seq_b) {
  return et_a != et_b ? et_a > et_b : seq_a > seq_b;
}

// A history row this batch writes (new, or an existing one whose superseded_at changes).
struct HistoryEntry {
  int64_t event_time = 0;
  uint64_t write_seq = 0;
  int64_t superseded_at = 0;
  std::string_view row;  // into the batch's writes, a loaded state or the write's arena
  bool stored = false;  // read from the store (rewritten with a new superseded_at), not new
  bool OlderThan(int64_t et, uint64_t seq) const { return Newer(et, seq, event_time, write_seq); }
};

// The current state of one (group, key) while a write batch is being applied.
struct KeyState {
  bool exists = false;
  int64_t event_time = 0;
  uint64_t write_seq = 0;
  std::string_view row;  // table groups: the latest row (a write's, or `loaded`)
  std::string loaded;    // the stored latest row, as read (states are never moved once loaded)
  std::vector<HistoryEntry> history;         // table groups: oldest first
  std::vector<rocks_layout::SequenceEvent> new_events;  // sequence groups: events of this batch
  const FeatureGroupDef* group = nullptr;
};

}  // namespace strata::rocks_write
