#pragma once
// The RocksDB online store's class, shared by the files that implement it: opening, writing and
// maintenance in rocksdb_online_store.cc, reads in rocksdb_online_read.cc. Internal to the
// online/rocksdb folder; everything else opens the store with OpenRocksOnlineStore.

#include <rocksdb/db.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "strata/online/column_builder.h"
#include "strata/online/online_store.h"
#include "strata/online/rocksdb/expiry_compaction_filter.h"
#include "strata/online/rocksdb/key_batch.h"
#include "strata/online/rocksdb/key_write_state.h"
#include "strata/online/rocksdb/latest_row_cache.h"
#include "strata/online/rocksdb/rocks_status.h"
#include "strata/online/rocksdb/rocksdb_online_store.h"
#include "strata/online/rocksdb/storage_layout.h"
#include "strata/online/rocksdb/written_state_run.h"

namespace strata::rocks_store {

namespace L = rocks_layout;
using rocks_write::HistoryEntry;
using rocks_write::KeyState;
using rocks_write::Newer;
using rocks_layout::KeyBatch;

// From this many table keys in one write, their states are read with one iterator pass in key
// order rather than looked up one by one (cache, MultiGet): a bulk ingest's batch touches a
// large share of a group's keys, and a sequential pass reads each block once.
constexpr size_t kScanStateKeys = 16384;
// The most a write-only process keeps of what its bulk writes wrote (written_state_run.h).
constexpr size_t kWrittenRunBudget = size_t{1} << 30;

inline bool StartsWith(const rocksdb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

class RocksOnlineStore final : public OnlineStore {
 public:
  RocksOnlineStore(const RocksOnlineOptions& options, std::shared_ptr<RetentionPolicies> policies)
      : options_(options), policies_(std::move(policies)) {
    if (options_.latest_cache_bytes > 0 && !options_.read_only)
      cache_ = std::make_unique<LatestRowCache>(options_.latest_cache_bytes);
    if (options_.sequence_cache_bytes > 0 && !options_.read_only)
      sequence_cache_ = std::make_unique<LatestRowCache>(options_.sequence_cache_bytes);
    if (options_.cache_writes && !options_.read_only) run_ = std::make_unique<WrittenStateRun>(kWrittenRunBudget);
  }

  ~RocksOnlineStore() override {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    if (db_) db_->Close();
  }

  Status Open(const rocksdb::DBOptions& db_options, const std::vector<rocksdb::ColumnFamilyDescriptor>& cfs) {
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = options_.read_only
                            ? rocksdb::DB::OpenForReadOnly(db_options, options_.path, cfs, &handles_, &db)
                            : rocksdb::DB::Open(db_options, options_.path, cfs, &handles_, &db);
    if (!s.ok()) {
      std::error_code ec;
      if (options_.read_only && !std::filesystem::exists(options_.path + "/CURRENT", ec))
        return Status::NotFound("online store " + options_.path +
                                " does not exist (moved or deleted?): restore it from a backup with `strata restore --from DIR`");
      if (s.IsIOError() && s.ToString().find("lock") != std::string::npos)
        return Status::IOError("online store " + options_.path +
                               " is open for writing by another process (`strata serve`, `strata stream`, `strata "
                               "ingest` or a Python Store); wait for it to finish or stop it (while `strata serve` "
                               "runs, write through its Push API; reads can open the repository read-only)");
      return FromRocks(s, "opening online store " + options_.path);
    }
    db_.reset(db);
    if (!options_.read_only) {  // a crashed bulk load's files, never ingested
      std::error_code ec;
      std::filesystem::remove_all(options_.path + "/" + rocks_layout::kBulkLoadDir, ec);
    }
    default_ = handles_[0];
    latest_ = handles_[1];
    history_ = handles_[2];
    sequence_ = handles_[3];
    return Status::OK();
  }

  Status Write(std::span<const OnlineWrite> writes, uint64_t last_write_seq,
               std::span<const MetadataEntry> metadata) override;
  Result<std::optional<std::string>> ReadMetadata(const std::string& key) override;
  Result<std::vector<MetadataEntry>> ScanMetadata(const std::string& prefix) override;
  Status DeleteMetadata(std::span<const std::string> keys) override;
  Result<uint64_t> LastWriteSeq() override;
  Status ReadInto(const ReadSpec& spec, std::span<const std::string> entity_keys, ReadColumns* out) override;
  void SetGroups(const std::vector<FeatureGroupDef>& groups) override;
  Status Compact() override;
  Status Checkpoint(const std::string& dir) override;
  Result<OnlineStoreStats> Stats() override;
  OnlineStoreGauges Gauges() override;

 private:
  // Reads the stored state of every key (in key order, one state each).
  Status LoadStates(std::span<const std::string* const> keys, std::span<KeyState> states);
  // Calls found(i, value) for each of the sorted `keys` stored in the latest column family, in
  // one iterator pass; for many keys (a bulk write's) instead of point lookups.
  template <typename Fn>
  Status ScanLatest(std::span<const std::string_view> keys, Fn&& found);
  // The groups among the sorted `keys` that hold no latest row.
  std::set<uint32_t> EmptyGroups(std::span<const std::string_view> keys);
  // `arena` keeps the stored history rows it reads (the state's entries point into it).
  Status InsertLate(std::unique_ptr<rocksdb::Iterator>* history, const std::string& prefix, const OnlineWrite& w,
                    KeyState* state, std::deque<std::string>* arena);
  // Without a snapshot in `ro`, returns with *needs_snapshot set (and nothing appended) when a
  // key's answer lies in history: latest and history must then be read from one snapshot.
  // With `use_cache`, may instead return with *retry_uncached set (nothing appended) when a write
  // committed during the lookups.
  Status ReadTable(const ReadSpec& spec, std::span<const std::string> keys, const rocksdb::ReadOptions& ro,
                   std::vector<FeatureColumnBuilder>* columns, bool* needs_snapshot, bool use_cache = false,
                   bool* retry_uncached = nullptr);
  // Retries uncached (with use_cache false) when *retry_uncached comes back set.
  Status ReadSequence(const ReadSpec& spec, std::span<const std::string> keys, const rocksdb::ReadOptions& ro,
                      std::vector<FeatureColumnBuilder>* columns, bool use_cache = false, bool* retry_uncached = nullptr);
  // The stored values of the keys: `values[i]` when `exists[i]`, pointing into `arena` (copied
  // from the latest-value cache; only the first prefix(value) bytes with a `prefix`) or `pinned`.
  struct StoredValues {
    std::vector<std::string_view> values;
    std::vector<uint8_t> exists;
    std::string arena;
    std::vector<rocksdb::PinnableSlice> pinned;
    bool retry_uncached = false;  // a write committed during the lookups: nothing here may be used
  };
  // From `cache` with `use_cache` (and no snapshot in `ro`), the rest with one MultiGet of `cf`,
  // whose values are then cached. `what` names the read in errors.
  Status LookupValues(const KeyBatch& full, rocksdb::ColumnFamilyHandle* cf, LatestRowCache* cache,
                      const rocksdb::ReadOptions& ro, bool use_cache, const LatestRowCache::PrefixFn& prefix,
                      const std::string& what, StoredValues* out);

  RocksOnlineOptions options_;
  std::shared_ptr<RetentionPolicies> policies_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* default_ = nullptr;
  rocksdb::ColumnFamilyHandle* latest_ = nullptr;
  rocksdb::ColumnFamilyHandle* history_ = nullptr;
  rocksdb::ColumnFamilyHandle* sequence_ = nullptr;
  std::mutex write_mu_;  // one writer at a time: writes read-modify-write the latest state
  std::unique_ptr<LatestRowCache> cache_;           // table groups' latest rows; null: disabled (or a read-only open)
  std::unique_ptr<LatestRowCache> sequence_cache_;  // sequence groups' values; likewise
  std::unique_ptr<WrittenStateRun> run_;   // write-only processes: what bulk writes wrote
};

}  // namespace strata::rocks_store
