#pragma once
// Key and value layouts of the RocksDB online store. Column families:
//   latest:   [group][entity key]                          -> [event_time][write_seq][row]   (table groups)
//   history:  [group][entity key][~event_time][~write_seq] -> [superseded_at][row]
//             superseded table rows, newest first; superseded_at = event time of the row that replaced it
//   sequence: [group][entity key] -> the key's events, newest first, at most max_length of them:
//             {[event_time][write_seq][varint row size][row]}*
// "~" is a descending encoding, so a forward scan from a time walks back in time. A sequence is
// one value: "newest N as of t" is one point lookup that reads at most max_length events.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strata/core/key_codec.h"
#include "strata/core/row_codec.h"

namespace strata::rocks_layout {

inline constexpr char kLatestCf[] = "latest";
inline constexpr char kHistoryCf[] = "history";
inline constexpr char kSequenceCf[] = "sequence";
inline constexpr char kWriteSeqKey[] = "meta/write_seq";
inline constexpr char kUserMetadataPrefix[] = "meta/user/";  // OnlineStore::Write's metadata
// The online store's folder for bulk-load files being written (sst_bulk_load.h).
inline constexpr char kBulkLoadDir[] = "bulk-load";

inline std::string EntityPrefix(uint32_t group_id, std::string_view entity_key) {
  std::string k;
  k.reserve(4 + entity_key.size() + 16);
  AppendGroupId(&k, group_id);
  k.append(entity_key);
  return k;
}

// [prefix][~event_time][~write_seq]
inline std::string TimedKey(std::string_view prefix, int64_t event_time, uint64_t write_seq) {
  std::string k(prefix);
  AppendDescendingInt64(&k, event_time);
  AppendDescendingUint64(&k, write_seq);
  return k;
}

inline uint32_t GroupOf(std::string_view key) {
  if (key.size() < 4) return 0;
  const auto* p = reinterpret_cast<const uint8_t*>(key.data());
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// The event time and write_seq at the tail of a timed key.
inline int64_t TimedKeyEventTime(std::string_view key) { return DecodeDescendingInt64(key.data() + key.size() - 16); }
inline uint64_t TimedKeyWriteSeq(std::string_view key) { return DecodeDescendingUint64(key.data() + key.size() - 8); }

struct LatestRow {
  int64_t event_time = 0;
  uint64_t write_seq = 0;
  std::string_view row;
};

inline void EncodeLatest(std::string* out, int64_t event_time, uint64_t write_seq, std::string_view row) {
  out->append(reinterpret_cast<const char*>(&event_time), 8);
  out->append(reinterpret_cast<const char*>(&write_seq), 8);
  out->append(row);
}

inline bool DecodeLatest(std::string_view v, LatestRow* out) {
  if (v.size() < 16) return false;
  out->event_time = LoadLE<int64_t>(v.data());
  out->write_seq = LoadLE<uint64_t>(v.data() + 8);
  out->row = v.substr(16);
  return true;
}

inline void EncodeHistory(std::string* out, int64_t superseded_at, std::string_view row) {
  out->append(reinterpret_cast<const char*>(&superseded_at), 8);
  out->append(row);
}

inline bool DecodeHistory(std::string_view v, int64_t* superseded_at, std::string_view* row) {
  if (v.size() < 8) return false;
  *superseded_at = LoadLE<int64_t>(v.data());
  *row = v.substr(8);
  return true;
}

struct SequenceEvent {
  int64_t event_time = 0;
  uint64_t write_seq = 0;
  std::string_view row;
};

inline bool NewerEvent(const SequenceEvent& a, const SequenceEvent& b) {
  return a.event_time != b.event_time ? a.event_time > b.event_time : a.write_seq > b.write_seq;
}

inline void AppendSequenceEvent(std::string* out, const SequenceEvent& e) {
  out->append(reinterpret_cast<const char*>(&e.event_time), 8);
  out->append(reinterpret_cast<const char*>(&e.write_seq), 8);
  PutVarint(out, e.row.size());
  out->append(e.row);
}

// Walks a sequence value, newest event first.
class SequenceReader {
 public:
  explicit SequenceReader(std::string_view value) : rest_(value) {}
  // False at the end, or when the value is malformed (then corrupt() is true).
  bool Next(SequenceEvent* e) {
    if (rest_.empty()) return false;
    uint64_t size;
    if (rest_.size() < 17) return Fail();
    e->event_time = LoadLE<int64_t>(rest_.data());
    e->write_seq = LoadLE<uint64_t>(rest_.data() + 8);
    rest_.remove_prefix(16);
    if (!GetVarint(&rest_, &size) || size > rest_.size()) return Fail();
    e->row = rest_.substr(0, size);
    rest_.remove_prefix(size);
    return true;
  }
  bool corrupt() const { return corrupt_; }
  // Bytes not read yet.
  size_t remaining() const { return rest_.size(); }

 private:
  bool Fail() {
    corrupt_ = true;
    rest_ = {};
    return false;
  }
  std::string_view rest_;
  bool corrupt_ = false;
};

inline bool DecodeSequence(std::string_view value, std::vector<SequenceEvent>* out) {
  SequenceReader reader(value);
  SequenceEvent e;
  while (reader.Next(&e)) out->push_back(e);
  return !reader.corrupt();
}

// True when a row with this event time is invisible at every t >= cutoff because it has
// outlived `lifetime` (ttl or retention; 0 = unbounded): event_time + lifetime < cutoff.
inline bool OutlivedBefore(int64_t event_time, int64_t lifetime, int64_t cutoff) {
  if (lifetime <= 0) return false;
  int64_t end;
  if (__builtin_add_overflow(event_time, lifetime, &end)) return false;
  return end < cutoff;
}

// True when a history row is invisible to every read inside the history window, which starts
// at `cutoff` (now - history): superseded before it, or outlived before it. Compaction drops
// such rows; a write does not store new ones.
inline bool HistoryRowDead(int64_t event_time, int64_t superseded_at, int64_t lifetime, int64_t cutoff) {
  return superseded_at < cutoff || OutlivedBefore(event_time, lifetime, cutoff);
}

// Rule 1: visible at `t` iff event_time <= t and (no lifetime or t - event_time <= lifetime).
inline bool VisibleAt(int64_t event_time, int64_t lifetime, int64_t t) {
  if (event_time > t) return false;
  if (lifetime <= 0) return true;
  int64_t age;
  if (__builtin_sub_overflow(t, event_time, &age)) return false;
  return age <= lifetime;
}

}  // namespace strata::rocks_layout
