#include "strata/online/rocksdb/rocksdb_online_store.h"

#include "strata/online/rocksdb/rocksdb_online_store_impl.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/statistics.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <optional>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <set>

#include "strata/core/arrow_types.h"
#include "strata/core/sorted_order.h"
#include "strata/core/time.h"
#include "strata/online/rocksdb/expiry_compaction_filter.h"
#include "strata/online/rocksdb/latest_row_cache.h"
#include "strata/online/rocksdb/sequence_merge.h"
#include "strata/online/rocksdb/key_batch.h"
#include "strata/online/rocksdb/key_write_state.h"
#include "strata/online/rocksdb/sst_bulk_load.h"
#include "strata/online/rocksdb/storage_layout.h"
#include "strata/online/rocksdb/written_state_run.h"

namespace strata {

namespace rocks_store {

Status RocksOnlineStore::LoadStates(std::span<const std::string* const> keys, std::span<KeyState> states) {
  // The table groups' latest rows: from the latest-row cache (which holds committed values
  // between writes, and this runs under the write lock), the rest with one sorted MultiGet.
  // (The cache has the keys readers read, or with write-through the ones written before.)
  // Sequence groups need no read: their events are merged in by RocksDB (sequence_merge.h).
  std::vector<size_t> at;
  std::vector<std::string_view> views;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (states[i].group->kind != GroupKind::kTable) continue;
    at.push_back(i);
    views.emplace_back(*keys[i]);
  }
  if (at.empty()) return Status::OK();
  auto load = [&](size_t j, std::string_view value) -> Status {
    KeyState& st = states[at[j]];
    L::LatestRow row;
    if (!L::DecodeLatest(value, &row))
      return Status::Corruption("online store: malformed latest row of group " + st.group->name);
    st.exists = true;
    st.event_time = row.event_time;
    st.write_seq = row.write_seq;
    st.loaded.assign(row.row);
    st.row = st.loaded;
    return Status::OK();
  };
  if (at.size() >= kScanStateKeys) {  // a bulk write
    if (run_ && !run_->active() && !run_->exhausted()) run_->Start(EmptyGroups(views));
    if (!run_ || !run_->active()) return ScanLatest(views, load);
    // From the run of what earlier bulk writes wrote (its values outlive this write: no copy),
    // the keys it lacks from RocksDB.
    Status bad;
    std::vector<size_t> unknown;
    run_->Lookup(views, [&](size_t j, std::string_view value) {
      KeyState& st = states[at[j]];
      L::LatestRow row;
      if (!L::DecodeLatest(value, &row)) {
        bad = Status::Corruption("online store: malformed latest row of group " + st.group->name);
        return;
      }
      st.exists = true;
      st.event_time = row.event_time;
      st.write_seq = row.write_seq;
      st.row = row.row;
    }, &unknown);
    STRATA_RETURN_NOT_OK(bad);
    if (unknown.empty()) return Status::OK();
    std::vector<std::string_view> rest;
    for (size_t j : unknown) rest.push_back(views[j]);
    return ScanLatest(rest, [&](size_t r, std::string_view value) { return load(unknown[r], value); });
  }
  std::vector<uint8_t> cached(at.size(), 0);
  if (cache_) {
    std::string arena;
    std::vector<std::pair<uint32_t, uint32_t>> spans(at.size());
    cache_->LookupBatch(views, &arena, &spans, &cached);
    for (size_t j = 0; j < at.size(); ++j)
      if (cached[j]) STRATA_RETURN_NOT_OK(load(j, std::string_view(arena).substr(spans[j].first, spans[j].second)));
  }
  std::vector<size_t> missed;
  std::vector<rocksdb::Slice> slices;
  for (size_t j = 0; j < at.size(); ++j) {
    if (cached[j]) continue;
    missed.push_back(j);
    slices.emplace_back(views[j].data(), views[j].size());
  }
  const size_t n = slices.size();
  if (n == 0) return Status::OK();
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  // Writes must not evict what readers keep hot: the state read here bypasses the caches' fill.
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  db_->MultiGet(ro, latest_, n, slices.data(), values.data(), statuses.data(), /*sorted_input=*/true);
  for (size_t m = 0; m < n; ++m) {
    if (statuses[m].IsNotFound()) continue;
    STRATA_RETURN_NOT_OK(FromRocks(statuses[m], "reading online state"));
    STRATA_RETURN_NOT_OK(load(missed[m], {values[m].data(), values[m].size()}));
  }
  return Status::OK();
}

template <typename Fn>
Status RocksOnlineStore::ScanLatest(std::span<const std::string_view> keys, Fn&& found) {
  constexpr int kMaxSteps = 16;  // a longer gap is skipped with a Seek
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // as for point lookups: writes must not evict what readers keep hot
  const std::string past_last = std::string(keys.back()) + '\0';  // the least key after the last
  const rocksdb::Slice upper(past_last);
  ro.iterate_upper_bound = &upper;
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, latest_));
  it->Seek(rocksdb::Slice(keys[0].data(), keys[0].size()));
  for (size_t j = 0; j < keys.size(); ++j) {
    const rocksdb::Slice key(keys[j].data(), keys[j].size());
    int steps = 0;
    while (it->Valid() && it->key().compare(key) < 0) {
      if (++steps > kMaxSteps) {
        it->Seek(key);
        break;
      }
      it->Next();
    }
    if (!it->Valid()) break;
    if (it->key() == key) STRATA_RETURN_NOT_OK(found(j, std::string_view(it->value().data(), it->value().size())));
  }
  return FromRocks(it->status(), "reading online state");
}

std::set<uint32_t> RocksOnlineStore::EmptyGroups(std::span<const std::string_view> keys) {
  std::set<uint32_t> empty;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), latest_));
  std::string_view last;
  for (std::string_view k : keys) {
    if (k.size() < 4 || (!last.empty() && k.substr(0, 4) == last)) continue;
    last = k.substr(0, 4);
    it->Seek(rocksdb::Slice(last.data(), 4));
    const bool found = it->Valid() ? StartsWith(it->key(), last) : !it->status().ok();  // an error: not known empty
    if (!found) {
      empty.insert(L::GroupOf(last));
    }
  }
  return empty;
}

// A late row (older than the key's latest) goes into history between its neighbours, which
// are searched among the rows stored before this batch and the ones this batch writes.
Status RocksOnlineStore::InsertLate(std::unique_ptr<rocksdb::Iterator>* history, const std::string& prefix,
                                    const OnlineWrite& w, KeyState* st, std::deque<std::string>* arena) {
  if (!*history) history->reset(db_->NewIterator(rocksdb::ReadOptions(), history_));
  rocksdb::Iterator* it = history->get();
  auto& pending = st->history;
  // First pending entry newer than w (pending is oldest first).
  auto pos = std::find_if(pending.begin(), pending.end(), [&](const HistoryEntry& e) { return !e.OlderThan(w.event_time, w.write_seq); });
  // The next newer row: the nearest of the latest row, a pending entry and a stored entry.
  int64_t succ_et = st->event_time;
  uint64_t succ_seq = st->write_seq;
  if (pos != pending.end()) {
    succ_et = pos->event_time;
    succ_seq = pos->write_seq;
  }
  const std::string key = L::TimedKey(prefix, w.event_time, w.write_seq);
  it->SeekForPrev(key);  // stored keys sort newest first: this is the nearest newer stored row
  if (it->Valid() && StartsWith(it->key(), prefix)) {
    const std::string_view k(it->key().data(), it->key().size());
    const int64_t et = L::TimedKeyEventTime(k);
    const uint64_t seq = L::TimedKeyWriteSeq(k);
    if (Newer(succ_et, succ_seq, et, seq)) succ_et = et, succ_seq = seq;
  }
  // The next older row is superseded by w from now on.
  HistoryEntry* older = pos != pending.begin() ? &*(pos - 1) : nullptr;
  it->Seek(key);
  if (it->Valid() && StartsWith(it->key(), prefix)) {
    const std::string_view k(it->key().data(), it->key().size());
    const int64_t et = L::TimedKeyEventTime(k);
    const uint64_t seq = L::TimedKeyWriteSeq(k);
    if (!older || Newer(et, seq, older->event_time, older->write_seq)) {
      HistoryEntry stored{et, seq, 0, {}, /*stored=*/true};
      std::string_view row;
      if (!L::DecodeHistory({it->value().data(), it->value().size()}, &stored.superseded_at, &row))
        return Status::Corruption("online store: malformed history row of group " + st->group->name);
      stored.row = arena->emplace_back(row);
      pos = pending.insert(pos, std::move(stored));  // the stored row is rewritten with the batch
      older = &*pos;
      ++pos;
    }
  }
  STRATA_RETURN_NOT_OK(FromRocks(it->status(), "reading online history"));
  if (older) older->superseded_at = std::min(older->superseded_at, w.event_time);
  pending.insert(pos, HistoryEntry{w.event_time, w.write_seq, succ_et, w.row});
  return Status::OK();
}

Result<std::optional<std::string>> RocksOnlineStore::ReadMetadata(const std::string& key) {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), default_, L::kUserMetadataPrefix + key, &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  STRATA_RETURN_NOT_OK(FromRocks(s, "reading online metadata"));
  return std::optional<std::string>(std::move(v));
}

Result<std::vector<MetadataEntry>> RocksOnlineStore::ScanMetadata(const std::string& prefix) {
  const std::string start = std::string(L::kUserMetadataPrefix) + prefix;
  std::vector<MetadataEntry> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), default_));
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    out.emplace_back(it->key().ToString().substr(std::string_view(L::kUserMetadataPrefix).size()), it->value().ToString());
  }
  STRATA_RETURN_NOT_OK(FromRocks(it->status(), "scanning online metadata"));
  return out;
}

Status RocksOnlineStore::DeleteMetadata(std::span<const std::string> keys) {
  if (options_.read_only) return Status::FailedPrecondition("online store " + options_.path + " is open read-only");
  std::lock_guard lock(write_mu_);
  rocksdb::WriteBatch batch;
  for (const auto& k : keys)
    STRATA_RETURN_NOT_OK(FromRocks(batch.Delete(default_, L::kUserMetadataPrefix + k), "deleting online metadata"));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  return FromRocks(db_->Write(wo, &batch), "deleting online metadata");
}

Status RocksOnlineStore::Write(std::span<const OnlineWrite> writes, uint64_t last_write_seq,
                               std::span<const MetadataEntry> metadata) {
  if (options_.read_only) return Status::FailedPrecondition("online store " + options_.path + " is open read-only");
  std::lock_guard lock(write_mu_);
  // The writes in key order (stable: each key's writes keep their order), and one state per
  // distinct key, also in key order, so that the state is read with one sorted MultiGet and
  // written back in key order (memtable inserts in order reuse their skip-list position).
  std::vector<std::string> prefixes(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) prefixes[i] = L::EntityPrefix(writes[i].group->id, writes[i].entity_key);
  const std::vector<uint32_t> order = SortedOrder(prefixes);
  std::vector<const std::string*> keys;
  std::vector<uint32_t> state_of(writes.size());
  for (uint32_t i : order) {
    if (keys.empty() || prefixes[i] != *keys.back()) keys.push_back(&prefixes[i]);
    state_of[i] = static_cast<uint32_t>(keys.size() - 1);
  }
  std::vector<KeyState> states(keys.size());
  for (uint32_t i : order) states[state_of[i]].group = writes[i].group;
  STRATA_RETURN_NOT_OK(LoadStates(keys, states));
  // A large write of a write-only process becomes SST files ingested in one step
  // (sst_bulk_load.h); any other write, one write batch through the log and memtables.
  const bool sst = options_.bulk_load_rows > 0 && writes.size() >= options_.bulk_load_rows;
  std::optional<SstBulkLoad> bulk_load;
  std::optional<rocksdb::WriteBatch> batch;
  if (sst) {
    bulk_load.emplace(db_.get(), options_.path + "/" + L::kBulkLoadDir);
  } else {
    // Sized once for what the batch will hold (each write's key and row with its value header;
    // history rows may add some): grown by doubling, a 1M-row batch's ~150 MB were copied at
    // every doubling into freshly faulted pages.
    size_t batch_bytes = 64;
    for (const auto& w : writes) batch_bytes += w.entity_key.size() + w.row.size() + 40;
    batch.emplace(std::min(batch_bytes, size_t{1} << 30));
  }
  // Each column family's keys are put in increasing order, as SST files need.
  auto put = [&](rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view value, const char* what) {
    if (sst) return bulk_load->Put(cf, key, value);
    return FromRocks(batch->Put(cf, rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size())), what);
  };
  auto merge = [&](rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view value, const char* what) {
    if (sst) return bulk_load->Merge(cf, key, value);
    return FromRocks(batch->Merge(cf, rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size())), what);
  };
  std::unique_ptr<rocksdb::Iterator> history;  // opened for the first late row
  std::deque<std::string> arena;                // stored history rows read for late rows
  std::string value;
  for (size_t j = 0; j < order.size(); ++j) {
    // In key order the writes are visited at random: fetch ahead (a bulk write's cache misses
    // here were half of this function's time).
    if (j + 16 < order.size()) __builtin_prefetch(&writes[order[j + 16]]);
    if (j + 8 < order.size()) __builtin_prefetch(writes[order[j + 8]].row.data());
    const uint32_t i = order[j];
    const OnlineWrite& w = writes[i];
    KeyState& st = states[state_of[i]];
    if (w.group->kind == GroupKind::kSequence) {
      st.new_events.push_back({w.event_time, w.write_seq, w.row});
      continue;
    }
    if (!st.exists || Newer(w.event_time, w.write_seq, st.event_time, st.write_seq)) {
      if (st.exists)  // the old latest row moves to history, superseded by this one
        st.history.push_back(HistoryEntry{st.event_time, st.write_seq, w.event_time, st.row});
      st.exists = true;
      st.event_time = w.event_time;
      st.write_seq = w.write_seq;
      st.row = w.row;
    } else {
      STRATA_RETURN_NOT_OK(InsertLate(&history, prefixes[i], w, &st, &arena));
    }
  }
  const int64_t now = NowMicros();
  // The latest values written, for the latest-row cache (write-through).
  size_t table_keys = 0;
  for (const auto& st : states) table_keys += st.group->kind == GroupKind::kTable;
  const bool bulk = table_keys >= kScanStateKeys;
  std::vector<std::string> latest_values(cache_ && options_.cache_writes && !bulk ? states.size() : 0);
  // A bulk write's new latest values, for the run of what bulk writes wrote.
  const bool to_run = bulk && run_ && run_->active();
  std::vector<WrittenStateRun::Entry> run_entries;
  if (to_run) run_entries.reserve(table_keys);
  for (size_t k = 0; k < states.size(); ++k) {
    // The latest rows lie wherever the writes' rows were allocated, in input order: fetch
    // ahead (copying them into values had been a tenth of a bulk write's time, in cache misses).
    if (k + 8 < states.size()) {
      const std::string_view ahead = states[k + 8].row;
      for (size_t line = 0; line < ahead.size(); line += 64) __builtin_prefetch(ahead.data() + line);
    }
    const std::string& key = *keys[k];
    KeyState& st = states[k];
    value.clear();
    if (st.group->kind == GroupKind::kTable) {
      L::EncodeLatest(&value, st.event_time, st.write_seq, st.row);
      STRATA_RETURN_NOT_OK(put(latest_, key, value, "writing online state"));
      if (!latest_values.empty()) latest_values[k] = value;
      if (to_run) run_entries.push_back({key, value});
      // New history rows that no read inside the history window can see (a backfill's, mostly)
      // are not stored: compaction would only drop them. A stored row is rewritten regardless.
      int64_t cutoff;
      if (__builtin_sub_overflow(now, st.group->history, &cutoff)) cutoff = INT64_MIN;
      const int64_t lifetime = st.group->Lifetime().value_or(0);
      // Stored keys sort newest first: the key's history (oldest first) is put in reverse.
      for (auto h = st.history.rbegin(); h != st.history.rend(); ++h) {
        if (!h->stored && L::HistoryRowDead(h->event_time, h->superseded_at, lifetime, cutoff)) continue;
        value.clear();
        L::EncodeHistory(&value, h->superseded_at, h->row);
        STRATA_RETURN_NOT_OK(put(history_, L::TimedKey(key, h->event_time, h->write_seq), value, "writing online history"));
      }
      continue;
    }
    // The batch's events of this key, trimmed among themselves, as one merge operand.
    EncodeTrimmedSequence(&st.new_events, TrimAt(RetentionOf(*st.group), now), &value);
    if (!value.empty()) STRATA_RETURN_NOT_OK(merge(sequence_, key, value, "writing online sequence"));
  }
  // The default column family's entries, in key order.
  std::map<std::string, std::string_view> defaults;
  for (const auto& [k, v] : metadata) defaults[L::kUserMetadataPrefix + k] = v;
  defaults[L::kWriteSeqKey] = std::string_view(reinterpret_cast<const char*>(&last_write_seq), 8);
  for (const auto& [k, v] : defaults) STRATA_RETURN_NOT_OK(put(default_, k, v, "writing online metadata"));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  // The run holds exactly what bulk writes committed: anything else that writes latest rows
  // (a small write, a failed one) ends it.
  auto update_run = [&](const Status& st) {
    if (!run_) return;
    if (st.ok() && to_run) run_->Merge(std::move(run_entries));
    else if (!st.ok() || table_keys > 0) run_->Clear();
  };
  std::vector<LatestRowCache::Written> written, sequences_written;
  for (size_t k = 0; k < states.size(); ++k) {
    if (states[k].group->kind == GroupKind::kTable) {
      if (cache_) written.push_back({keys[k], latest_values.empty() ? std::string_view() : std::string_view(latest_values[k])});
    } else if (sequence_cache_) {
      sequences_written.push_back({keys[k], {}});
    }
  }
  if (cache_) cache_->BeginWrite();
  if (sequence_cache_) sequence_cache_->BeginWrite();
  Status st = sst ? bulk_load->Commit() : FromRocks(db_->Write(wo, &*batch), "committing online write batch");
  // A bulk write read its states without the cache (LoadStates): its keys are dropped, not
  // stored, which would cost more than the next bulk write's pass over them.
  if (cache_) cache_->EndWrite(written, st.ok() && options_.cache_writes && !bulk);
  // Sequences are always dropped: RocksDB merges their new events in, the writer never sees the result.
  if (sequence_cache_) sequence_cache_->EndWrite(sequences_written, false);
  update_run(st);
  return st;
}

Result<uint64_t> RocksOnlineStore::LastWriteSeq() {
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), default_, L::kWriteSeqKey, &v);
  if (s.IsNotFound()) return uint64_t{0};
  STRATA_RETURN_NOT_OK(FromRocks(s, "reading write_seq"));
  if (v.size() != 8) return Status::Corruption("online store: malformed write_seq");
  return LoadLE<uint64_t>(v.data());
}


void RocksOnlineStore::SetGroups(const std::vector<FeatureGroupDef>& groups) {
  auto map = std::make_shared<RetentionMap>();
  for (const auto& g : groups) (*map)[g.id] = RetentionOf(g);
  policies_->Set(std::move(map));
}

Status RocksOnlineStore::Compact() {
  if (options_.read_only) return Status::FailedPrecondition("online store is open read-only");
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* h : {latest_, history_, sequence_})
    STRATA_RETURN_NOT_OK(FromRocks(db_->CompactRange(o, h, nullptr, nullptr), "compacting online store"));
  return Status::OK();
}

Status RocksOnlineStore::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  STRATA_RETURN_NOT_OK(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpointing the online store"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: flush the memtables first, so the copy needs no write-ahead log.
  return FromRocks(checkpoint->CreateCheckpoint(dir, 0), "checkpointing the online store to " + dir);
}

Result<OnlineStoreStats> RocksOnlineStore::Stats() {
  OnlineStoreStats stats;
  auto count = [&](rocksdb::ColumnFamilyHandle* h, uint64_t* n) -> Status {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), h));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++*n;
    return FromRocks(it->status(), "scanning online store");
  };
  STRATA_RETURN_NOT_OK(count(latest_, &stats.latest_entries));
  STRATA_RETURN_NOT_OK(count(history_, &stats.history_entries));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), sequence_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::vector<L::SequenceEvent> events;
    if (!L::DecodeSequence({it->value().data(), it->value().size()}, &events))
      return Status::Corruption("online store: malformed sequence");
    stats.sequence_events += events.size();
  }
  STRATA_RETURN_NOT_OK(FromRocks(it->status(), "scanning online store"));
  return stats;
}

OnlineStoreGauges RocksOnlineStore::Gauges() {
  OnlineStoreGauges g;
  for (auto* h : {latest_, history_, sequence_}) {
    uint64_t v = 0;
    if (db_->GetIntProperty(h, rocksdb::DB::Properties::kEstimateNumKeys, &v)) g.estimated_keys += v;
    if (db_->GetIntProperty(h, rocksdb::DB::Properties::kLiveSstFilesSize, &v)) g.disk_bytes += v;
    if (db_->GetIntProperty(h, rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) g.memtable_bytes += v;
  }
  if (auto stats = db_->GetDBOptions().statistics) {
    g.cache_hits = stats->getTickerCount(rocksdb::ROW_CACHE_HIT) + stats->getTickerCount(rocksdb::BLOCK_CACHE_DATA_HIT);
    g.cache_misses = stats->getTickerCount(rocksdb::ROW_CACHE_MISS) + stats->getTickerCount(rocksdb::BLOCK_CACHE_DATA_MISS);
  }
  return g;
}

}  // namespace rocks_store

using rocks_store::RocksOnlineStore;

Result<std::unique_ptr<OnlineStore>> OpenRocksOnlineStore(const RocksOnlineOptions& options) {
  InitArrowSingletons();
  auto policies = std::make_shared<RetentionPolicies>();
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = !options.read_only;
  db_options.create_missing_column_families = !options.read_only;
  db_options.max_background_jobs = 2;
  // Compactions run at a low CPU priority: requests and stream batches go first (flushes,
  // which writes may wait for, keep the normal one). Process-wide, set once.
  static const bool lowered = [] {
    (void)rocksdb::Env::Default()->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW, rocksdb::CpuPriority::kLow);
    return true;
  }();
  (void)lowered;
  db_options.bytes_per_sync = 1 << 20;
  // Every write batch also writes the default column family (write_seq, metadata), whose
  // memtable stays tiny and so never flushed on its own: every log file was kept (1.6 GB of the
  // 1.7 GB online store after a 5M-row ingest), and replayed on each open. Past this much log,
  // RocksDB flushes the column families that pin the oldest file.
  db_options.max_total_wal_size = 256ull << 20;
  if (options.row_cache_bytes > 0) db_options.row_cache = rocksdb::NewLRUCache(options.row_cache_bytes);
  // Tickers only (cache hits for /metrics): per-core counters, no timers.
  db_options.statistics = rocksdb::CreateDBStatistics();
  db_options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  auto cf_options = [&](ColumnFamilyRole role, bool point_lookups) {
    rocksdb::ColumnFamilyOptions o;
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    // Index and filter blocks stay in the table readers (small: ~2 MB per million keys), so a
    // point lookup makes one block-cache lookup instead of three.
    t.cache_index_and_filter_blocks = false;
    if (point_lookups) {
      t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      t.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
      // A bloom filter over the memtable's keys too: most keys a write batch (or a request)
      // looks up are not in the memtable, and searching its skip list for each was the largest
      // cost of an ingest's online write (a sixth of all CPU time at 1M rows).
      o.memtable_whole_key_filtering = true;
      o.memtable_prefix_bloom_size_ratio = 0.02;
    }
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    o.compression = rocksdb::kLZ4Compression;
    o.bottommost_compression = rocksdb::kZSTD;
    o.compaction_filter_factory = std::make_shared<ExpiryCompactionFilterFactory>(policies, role);
    if (role == ColumnFamilyRole::kSequence) {
      o.merge_operator = std::make_shared<SequenceMergeOperator>(policies);
      // A hot key's operands are folded into a value once this many pile up in the memtable,
      // so a read never merges more than that (a read of a key with operands merges them).
      o.max_successive_merges = 32;
    }
    // Batches are written in key order; a per-group insert hint makes each memtable insert
    // start where the previous one ended.
    o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
    return o;
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {rocks_layout::kLatestCf, cf_options(ColumnFamilyRole::kLatest, true)},
      {rocks_layout::kHistoryCf, cf_options(ColumnFamilyRole::kHistory, false)},
      {rocks_layout::kSequenceCf, cf_options(ColumnFamilyRole::kSequence, true)},
  };
  auto store = std::make_unique<RocksOnlineStore>(options, policies);
  STRATA_RETURN_NOT_OK(store->Open(db_options, cfs));
  return std::unique_ptr<OnlineStore>(std::move(store));
}

}  // namespace strata
