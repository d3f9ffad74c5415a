// Reads of the RocksDB online store: table rows (latest and as-of) and sequences, from the
// latest-value caches where they have them and one MultiGet otherwise.

#include <algorithm>

#include "strata/core/time.h"
#include "strata/online/rocksdb/rocksdb_online_store_impl.h"
#include "strata/online/row_projector.h"

namespace strata::rocks_store {

namespace {

// Events a sequence read returns per key at most: the request's limit within max_length.
int32_t SequenceLimit(const ReadSpec& spec) {
  const int32_t max_length = spec.group->max_length;
  return (spec.limit <= 0 || spec.limit > max_length) ? max_length : spec.limit;
}

}  // namespace

Status RocksOnlineStore::LookupValues(const KeyBatch& full, rocksdb::ColumnFamilyHandle* cf, LatestRowCache* cache,
                                      const rocksdb::ReadOptions& ro, bool use_cache,
                                      const LatestRowCache::PrefixFn& prefix, const std::string& what,
                                      StoredValues* out) {
  const size_t n = full.size();
  out->values.assign(n, {});
  out->exists.assign(n, 0);
  uint64_t epoch = 0;
  use_cache = use_cache && cache && !ro.snapshot && LatestRowCache::Stable(epoch = cache->epoch());
  std::vector<rocksdb::Slice> miss_keys;
  std::vector<size_t> miss_index;
  if (use_cache) {
    std::vector<std::pair<uint32_t, uint32_t>> spans(n);
    out->arena.reserve(n * 256);
    std::vector<std::string_view> views(n);
    for (size_t i = 0; i < n; ++i) views[i] = full[i];
    cache->LookupBatch(views, &out->arena, &spans, &out->exists, prefix);
    for (size_t i = 0; i < n; ++i) {
      if (out->exists[i]) {
        out->values[i] = std::string_view(out->arena).substr(spans[i].first, spans[i].second);
      } else {
        miss_keys.push_back(full.data()[i]);
        miss_index.push_back(i);
      }
    }
  } else {
    miss_keys.assign(full.data(), full.data() + n);
    miss_index.resize(n);
    for (size_t i = 0; i < n; ++i) miss_index[i] = i;
  }
  const size_t m = miss_keys.size();
  out->pinned = std::vector<rocksdb::PinnableSlice>(m);
  std::vector<rocksdb::Status> statuses(m);
  if (m > 0) db_->MultiGet(ro, cf, m, miss_keys.data(), out->pinned.data(), statuses.data());
  for (size_t j = 0; j < m; ++j) {
    if (statuses[j].IsNotFound()) continue;
    STRATA_RETURN_NOT_OK(FromRocks(statuses[j], what));
    const size_t i = miss_index[j];
    out->values[i] = {out->pinned[j].data(), out->pinned[j].size()};
    out->exists[i] = 1;
    if (use_cache) cache->Insert(full[i], out->values[i], epoch);
  }
  // A write committed meanwhile: the values may mix states before and after it.
  out->retry_uncached = use_cache && cache->epoch() != epoch;
  return Status::OK();
}

Status RocksOnlineStore::ReadTable(const ReadSpec& spec, std::span<const std::string> keys,
                                   const rocksdb::ReadOptions& ro, std::vector<FeatureColumnBuilder>* columns,
                                   bool* needs_snapshot, bool use_cache, bool* retry_uncached) {
  const FeatureGroupDef& g = *spec.group;
  const int64_t lifetime = g.Lifetime().value_or(0);
  const size_t n = keys.size();
  const KeyBatch full(g.id, keys);
  // Each key's stored latest value: from the latest-row cache, or one MultiGet of the others.
  StoredValues stored;
  STRATA_RETURN_NOT_OK(LookupValues(full, latest_, cache_.get(), ro, use_cache, nullptr, "reading group " + g.name, &stored));
  if (stored.retry_uncached) {
    *retry_uncached = true;
    return Status::OK();
  }
  const std::vector<std::string_view>& found = stored.values;
  const std::vector<uint8_t>& exists = stored.exists;
  if (!ro.snapshot) {
    for (size_t i = 0; i < n; ++i) {
      L::LatestRow latest;
      if (exists[i] && L::DecodeLatest(found[i], &latest) && latest.event_time > spec.as_of) {
        *needs_snapshot = true;
        return Status::OK();
      }
    }
  }

  RowProjector projector(spec.features);
  std::unique_ptr<rocksdb::Iterator> history;  // opened on the first as-of read that needs it
  std::vector<RowInfo>* info = spec.row_info;
  if (info) info->assign(n, RowInfo{});
  auto append_nulls = [&] {
    for (auto& c : *columns) c.AppendNull();
  };
  for (size_t i = 0; i < n; ++i) {
    if (!exists[i]) {
      append_nulls();
      continue;
    }
    L::LatestRow latest;
    if (!L::DecodeLatest(found[i], &latest))
      return Status::Corruption("online store: malformed row of group " + g.name);
    int64_t event_time = latest.event_time;
    std::string_view row = latest.row;
    if (latest.event_time > spec.as_of) {  // the latest row is in the future of as_of: look back in history
      if (!history) history.reset(db_->NewIterator(ro, history_));
      history->Seek(L::TimedKey(full[i], spec.as_of, UINT64_MAX));
      if (!history->Valid() || !StartsWith(history->key(), full[i])) {
        STRATA_RETURN_NOT_OK(FromRocks(history->status(), "reading history of group " + g.name));
        append_nulls();
        continue;
      }
      int64_t superseded_at;
      event_time = L::TimedKeyEventTime({history->key().data(), history->key().size()});
      if (!L::DecodeHistory({history->value().data(), history->value().size()}, &superseded_at, &row))
        return Status::Corruption("online store: malformed history row of group " + g.name);
    }
    if (!L::VisibleAt(event_time, lifetime, spec.as_of)) {
      if (info) (*info)[i] = {RowState::kExpired, event_time};
      append_nulls();
      continue;
    }
    if (info) (*info)[i] = {RowState::kPresent, event_time};
    projector.Project<false>(row, columns);
  }
  return Status::OK();
}

Status RocksOnlineStore::ReadSequence(const ReadSpec& spec, std::span<const std::string> keys,
                                      const rocksdb::ReadOptions& ro, std::vector<FeatureColumnBuilder>* columns,
                                      bool use_cache, bool* retry_uncached) {
  const FeatureGroupDef& g = *spec.group;
  const int64_t lifetime = g.Lifetime().value_or(0);
  const int32_t limit = SequenceLimit(spec);
  const size_t n = keys.size();
  const KeyBatch full(g.id, keys);
  // A cached sequence holds up to max_length events: only those up to the limit-th visible
  // one are copied out (a malformed value whole, for the decoding below to report).
  auto newest = [&](std::string_view value) -> size_t {
    L::SequenceReader reader(value);
    L::SequenceEvent e;
    int32_t taken = 0;
    while (reader.Next(&e))
      if (e.event_time <= spec.as_of && ++taken >= limit) break;
    return reader.corrupt() ? value.size() : value.size() - reader.remaining();
  };
  StoredValues stored;
  STRATA_RETURN_NOT_OK(
      LookupValues(full, sequence_, sequence_cache_.get(), ro, use_cache, newest, "reading sequence group " + g.name, &stored));
  if (stored.retry_uncached) {
    *retry_uncached = true;
    return Status::OK();
  }
  const std::vector<std::string_view>& values = stored.values;
  RowProjector projector(spec.features);
  std::vector<RowInfo>* info = spec.row_info;
  if (info) info->assign(n, RowInfo{});
  // The values lie at random in the caches' memory, and reading their newest events was mostly
  // waiting for it: the next key's newest events are loaded while this key's are decoded. How
  // many bytes they take is learnt from the keys read so far (first guess: 64 per event).
  size_t read_bytes = 0, read_events = 0;
  auto prefetch = [&](size_t j) {
    if (j >= n) return;
    const size_t per_event = read_events ? read_bytes / read_events + 1 : 64;
    const size_t len = std::min(values[j].size(), per_event * static_cast<size_t>(limit) + 64);
    for (size_t off = 0; off < len; off += 64) __builtin_prefetch(values[j].data() + off);
  };
  constexpr size_t kAhead = 2;
  for (size_t j = 0; j < kAhead; ++j) prefetch(j);
  for (size_t i = 0; i < n; ++i) {
    prefetch(i + kAhead);
    L::SequenceReader reader({values[i].data(), values[i].size()});
    L::SequenceEvent e;
    bool have = false;
    while ((have = reader.Next(&e)) && e.event_time > spec.as_of) {
    }  // skip events in the future of as_of
    if (!have || !L::VisibleAt(e.event_time, lifetime, spec.as_of)) {  // rule 5: null, not an empty list
      if (info && have) (*info)[i] = {RowState::kExpired, e.event_time};
      for (auto& c : *columns) c.AppendNull();
    } else {
      if (info) (*info)[i] = {RowState::kPresent, e.event_time};
      for (auto& c : *columns) c.StartList();
      // Events come newest first; once one is expired, all older ones are too.
      int32_t taken = 0;
      do {
        projector.Project<true>(e.row, columns);
      } while (++taken < limit && reader.Next(&e) && L::VisibleAt(e.event_time, lifetime, spec.as_of));
      read_bytes += values[i].size() - reader.remaining();
      read_events += static_cast<size_t>(taken);
    }
    if (reader.corrupt()) return Status::Corruption("online store: malformed sequence of group " + g.name);
  }
  return Status::OK();
}

Status RocksOnlineStore::ReadInto(const ReadSpec& spec, std::span<const std::string> entity_keys, ReadColumns* out) {
  const FeatureGroupDef& g = *spec.group;
  int64_t window_start;
  if (__builtin_sub_overflow(spec.now, g.history, &window_start)) window_start = INT64_MIN;
  if (spec.as_of < window_start)
    return Status::InvalidArgument("as-of time " + FormatTimestamp(spec.as_of) + " is older than the online history of group " +
                                   g.name + " (" + FormatDuration(g.history) +
                                   "); raise `history` in strata.yaml or read the offline store");
  const bool is_sequence = g.kind == GroupKind::kSequence;
  const auto rows = static_cast<int64_t>(entity_keys.size());
  std::vector<FeatureColumnBuilder>& columns =
      out->Prepare(spec.features, is_sequence, rows, is_sequence ? rows * SequenceLimit(spec) : 0);
  // A request sees a concurrent write batch entirely or not at all: one MultiGet reads at one
  // sequence number; a read that also needs history takes an explicit snapshot for both.
  rocksdb::ReadOptions ro;
  if (is_sequence) {
    bool retry_uncached = false;
    STRATA_RETURN_NOT_OK(ReadSequence(spec, entity_keys, ro, &columns, true, &retry_uncached));
    if (retry_uncached) STRATA_RETURN_NOT_OK(ReadSequence(spec, entity_keys, ro, &columns));
  } else {
    bool needs_snapshot = false, retry_uncached = false;
    STRATA_RETURN_NOT_OK(ReadTable(spec, entity_keys, ro, &columns, &needs_snapshot, true, &retry_uncached));
    if (retry_uncached) STRATA_RETURN_NOT_OK(ReadTable(spec, entity_keys, ro, &columns, &needs_snapshot));
    if (needs_snapshot) {
      ro.snapshot = db_->GetSnapshot();
      Status st = ReadTable(spec, entity_keys, ro, &columns, &needs_snapshot);
      db_->ReleaseSnapshot(ro.snapshot);
      STRATA_RETURN_NOT_OK(st);
    }
  }
  return Status::OK();
}

}  // namespace strata::rocks_store
