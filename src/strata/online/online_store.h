#pragma once
// The online store: the inference state (latest rows, as-of history, sequences) of every
// feature group, read by key in batches. Semantics are those of DESIGN.md rules 1-5.

#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/online/read_columns.h"

namespace strata {

// A small key/value the store keeps beside the data (e.g. an ingest checkpoint).
using MetadataEntry = std::pair<std::string, std::string>;

// One accepted row on its way into the store.
struct OnlineWrite {
  const FeatureGroupDef* group = nullptr;
  std::string entity_key;  // encoded with key_codec
  int64_t event_time = 0;
  uint64_t write_seq = 0;
  std::string row;  // encoded with row_codec
};

// Why a key's row reads as it does (served with each value, see the serving API).
enum class RowState : uint8_t {
  kPresent = 0,  // a row is visible as of the read time
  kMissing = 1,  // nothing was written at or before the read time (or within the online history)
  kExpired = 2,  // the visible row is older than the group's ttl/retention
};

// Per key: its state and the event time of the row read (0 when missing; the newest event of a sequence).
struct RowInfo {
  RowState state = RowState::kMissing;
  int64_t event_time = 0;
};

struct ReadSpec {
  const FeatureGroupDef* group = nullptr;
  std::vector<const FeatureDef*> features;  // output columns, in this order
  int64_t as_of = 0;  // visibility time (rule 1)
  int64_t now = 0;    // wall clock: as-of reads are exact back to now - group.history
  int32_t limit = 0;  // sequences: newest N (0 or more than max_length = max_length)
  std::vector<RowInfo>* row_info = nullptr;  // when set: filled with one entry per key
};

struct OnlineStoreStats {
  uint64_t latest_entries = 0;    // one per (group, key) of table groups, plus sequence heads
  uint64_t history_entries = 0;   // superseded table rows kept for as-of reads
  uint64_t sequence_events = 0;
};

// Cheap estimates for monitoring (from the store's own counters; no scan).
struct OnlineStoreGauges {
  uint64_t estimated_keys = 0;
  uint64_t disk_bytes = 0;       // live data files
  uint64_t memtable_bytes = 0;
  uint64_t cache_hits = 0;       // row and block cache lookups since open
  uint64_t cache_misses = 0;
};

class OnlineStore {
 public:
  virtual ~OnlineStore() = default;

  // Applies `writes` atomically: a reader sees all of them or none (a RocksDB store's bulk loads,
  // made only by write-only processes, are atomic per column family to readers in the same
  // process: sst_bulk_load.h). A write older (event_time, write_seq) than the stored state
  // never replaces it (rule 2).
  // `last_write_seq` and `metadata` are persisted in the same atomic batch.
  virtual Status Write(std::span<const OnlineWrite> writes, uint64_t last_write_seq,
                       std::span<const MetadataEntry> metadata = {}) = 0;

  // A metadata value written with Write, or nullopt.
  virtual Result<std::optional<std::string>> ReadMetadata(const std::string& key) = 0;

  // Metadata entries whose key starts with `prefix`, in key order.
  virtual Result<std::vector<MetadataEntry>> ScanMetadata(const std::string& prefix) = 0;
  // Deletes metadata entries (atomically; absent keys are ignored).
  virtual Status DeleteMetadata(std::span<const std::string> keys) = 0;

  // The highest write_seq durably written (0 for an empty store).
  virtual Result<uint64_t> LastWriteSeq() = 0;

  // Reads many keys of one group. Returns one array per requested feature, one row per key,
  // nulls where nothing is visible. Table groups: the feature's Arrow type; sequence groups:
  // list<type> of the newest events, newest first.
  Result<std::vector<std::shared_ptr<arrow::Array>>> Read(const ReadSpec& spec, std::span<const std::string> entity_keys) {
    ReadColumns columns;
    STRATA_RETURN_NOT_OK(ReadInto(spec, entity_keys, &columns));
    return columns.TakeArrays();
  }
  // The same into `out`, whose columns are reused from read to read (read_columns.h).
  virtual Status ReadInto(const ReadSpec& spec, std::span<const std::string> entity_keys, ReadColumns* out) = 0;

  // Tells the store the current definitions (TTL, retention, history, max_length) that
  // its compaction enforces.
  virtual void SetGroups(const std::vector<FeatureGroupDef>& groups) = 0;

  // Compacts everything now (reclaims expired rows); normally compaction runs in the background.
  virtual Status Compact() = 0;

  // Writes a consistent copy of the store to `dir` (which must not exist): what was written
  // when it starts, hard-linked where on the same filesystem. It opens as a store of its own.
  // Works while reads and writes go on.
  virtual Status Checkpoint(const std::string& dir) = 0;

  // Counts stored entries by walking the store: O(data), for operators and tests.
  virtual Result<OnlineStoreStats> Stats() = 0;

  // Estimates for metrics endpoints; safe to call while reads and writes run.
  virtual OnlineStoreGauges Gauges() = 0;
};

}  // namespace strata
