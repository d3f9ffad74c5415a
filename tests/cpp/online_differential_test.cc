// Random and adversarial histories checked cell by cell against a brute-force reference of
// DESIGN.md rules 1-2 (table groups) and rule 4 (sequence groups): out-of-order rows, ties at
// one event time, several late rows or events of a key in one batch, TTL and retention edges,
// sequences longer than max_length, and compaction and a restart with a history window, which
// must not change any answer (sequence events are merged by RocksDB at read, flush and
// compaction time: every one of those paths is compared).

#include <gtest/gtest.h>

#include <random>

#include "strata/core/time.h"
#include "test_repo.h"

namespace strata {
namespace {

using testing::Cell;
using testing::ListCell;
using testing::MakeRepo;
using testing::Row;
using testing::TempDir;

constexpr int64_t kSec = kMicrosPerSecond;

struct Written {
  int64_t key, event_time;
  uint64_t write_seq;
  int64_t value;
};

// Rules 1-2 by brute force: the visible row with the greatest (event_time, write_seq).
Value Expected(const std::vector<Written>& rows, int64_t key, int64_t t, int64_t ttl) {
  const Written* best = nullptr;
  for (const auto& r : rows) {
    if (r.key != key || r.event_time > t || (ttl > 0 && t - r.event_time > ttl)) continue;
    if (!best || r.event_time > best->event_time || (r.event_time == best->event_time && r.write_seq > best->write_seq))
      best = &r;
  }
  return best ? Value(best->value) : Value();
}

class OnlineDifferentialTest : public ::testing::TestWithParam<int> {};

TEST_P(OnlineDifferentialTest, MatchesBruteForceBeforeAndAfterCompaction) {
  const int seed = GetParam();
  std::mt19937_64 rng(seed);
  TempDir dir;
  const bool with_ttl = seed % 2 == 1;
  const int64_t ttl = 20 * 60 * kSec;
  auto repo = MakeRepo(dir, std::string("online: {backend: rocksdb, path: .strata/online, sync: false}\n") +
                                "entities:\n  user: {key: user_id}\nfeature_groups:\n  g:\n    entity: user\n    history: 1h\n" +
                                (with_ttl ? "    ttl: 20m\n" : "") + "    features: {v: int64}\n");
  const auto& g = **repo->FindGroup("g");
  const int64_t now = NowMicros();
  // Event times on a coarse grid over the last 3 hours, so that ties are frequent.
  auto random_time = [&] { return now - 3 * 3600 * kSec + static_cast<int64_t>(rng() % 60) * 3 * 60 * kSec; };
  std::vector<Written> written;
  int64_t next_value = 1;
  for (int batch = 0; batch < 30; ++batch) {
    std::vector<FeatureRow> rows;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const int64_t key = static_cast<int64_t>(rng() % 6);
      const int64_t t = random_time();
      rows.push_back(Row(key, t, {next_value}));
      written.push_back({key, t, repo->last_write_seq() + rows.size(), next_value});
      ++next_value;
    }
    ASSERT_TRUE(repo->Write(g, rows).ok());
  }
  std::vector<Value> keys;
  for (int64_t k = 0; k < 7; ++k) keys.push_back(k);
  auto check = [&](int64_t as_of, const char* when) {
    auto cols = repo->Read(g, keys, {&g.features[0]}, as_of);
    ASSERT_TRUE(cols.ok()) << cols.status().ToString();
    for (int64_t k = 0; k < 7; ++k)
      ASSERT_EQ(Cell(*(*cols)[0], k), Expected(written, k, as_of, with_ttl ? ttl : 0))
          << when << ": key " << k << " as of now-" << (now - as_of) / kSec << "s, seed " << seed;
  };
  // Inside the window (a minute of slack for the test's own run time): every grid point, 1 us
  // either side, and the TTL edges.
  std::vector<int64_t> times;
  for (int64_t t = now - 3540 * kSec; t <= now; t += 3 * 60 * kSec) times.insert(times.end(), {t - 1, t, t + 1});
  for (const auto& w : written)
    for (int64_t t : {w.event_time, w.event_time + ttl, w.event_time + ttl + 1})
      if (t >= now - 3540 * kSec && t <= now) times.push_back(t);
  for (int64_t t : times) check(t, "before compaction");
  ASSERT_TRUE(repo->online().Compact().ok());
  for (int64_t t : times) check(t, "after compaction");
  // A read at now after compaction, and the window refused beyond 1h.
  check(NowMicros(), "now");
  EXPECT_FALSE(repo->Read(g, keys, {&g.features[0]}, now - 2 * 3600 * kSec).ok());
}

INSTANTIATE_TEST_SUITE_P(Seeds, OnlineDifferentialTest, ::testing::Range(0, 12));

// A bulk write (tens of thousands of keys in one batch) reads its keys' states in one pass in
// key order instead of point lookups, and sorts its keys by their first 16 bytes; a write-only
// process (`strata ingest`) keeps what its bulk writes wrote in a sorted run and reads states
// from it. The same rows written in small batches (the point-lookup path) must read the same,
// for int keys and for string keys that share long prefixes or differ only in length, with a
// small write between bulk ones (which ends the run; the next starts over a non-empty group).
TEST(OnlineBulkWriteTest, BulkBatchesReadTheSameAsSmallOnes) {
  const std::string body =
      "online: {backend: rocksdb, path: .strata/online, sync: false}\n"
      "entities:\n  user: {key: user_id}\n  doc: {key: doc_id, type: string}\n"
      "feature_groups:\n"
      "  u:\n    entity: user\n    history: 1h\n    features: {v: int64}\n"
      "  d:\n    entity: doc\n    history: 1h\n    features: {v: int64}\n";
  TempDir bulk_dir, run_dir, small_dir;
  auto bulk = MakeRepo(bulk_dir, body), small = MakeRepo(small_dir, body);
  auto run = MakeRepo(run_dir, body, {.write_only = true});
  std::mt19937_64 rng(7);
  const int64_t now = NowMicros();
  auto doc_key = [](int64_t k) {
    // Lengths 1 to 40, many sharing a 20-byte prefix, some a prefix of another.
    return k % 3 == 0 ? std::to_string(k) : std::string("documents/shared-16") + std::string(k % 7, 'x') + std::to_string(k);
  };
  int64_t next_value = 1;
  for (int round = 0; round < 6; ++round) {
    for (const char* group : {"u", "d"}) {
      std::vector<FeatureRow> rows;
      const int n = round == 3 ? 500 : 30000;  // ~17k distinct keys: above the bulk threshold
      for (int i = 0; i < n; ++i) {
        const int64_t k = static_cast<int64_t>(rng() % 24000);
        // On a coarse grid over the last 2 hours (ties, late rows, some beyond the window).
        const int64_t t = now - 2 * 3600 * kSec + static_cast<int64_t>(rng() % 40) * 3 * 60 * kSec;
        rows.push_back(Row(*group == 'u' ? Value(k) : Value(doc_key(k)), t, {next_value++}));
      }
      ASSERT_TRUE(bulk->Write(**bulk->FindGroup(group), rows).ok());
      ASSERT_TRUE(run->Write(**run->FindGroup(group), rows).ok());
      const auto& gs = **small->FindGroup(group);
      for (size_t i = 0; i < rows.size(); i += 2000)
        ASSERT_TRUE(small->Write(gs, std::span<const FeatureRow>(rows).subspan(i, std::min<size_t>(2000, rows.size() - i))).ok());
    }
  }
  for (const char* group : {"u", "d"}) {
    std::vector<Value> keys;
    for (int64_t k = 0; k < 24001; ++k) keys.push_back(*group == 'u' ? Value(k) : Value(doc_key(k)));
    // As-of times inside the 1h window with room for a slow (sanitizer) build's run time.
    for (int64_t as_of : {now, now - 30 * 60 * kSec, now - 45 * 60 * kSec}) {
      auto read = [&](FeatureRepository& repo) -> std::shared_ptr<arrow::Array> {
        const auto& g = **repo.FindGroup(group);
        auto cols = repo.Read(g, keys, {&g.features[0]}, as_of);
        EXPECT_TRUE(cols.ok()) << cols.status().ToString();
        return cols.ok() ? (*cols)[0] : arrow::MakeArrayOfNull(arrow::int64(), 0).ValueOrDie();
      };
      auto expected = read(*small);
      EXPECT_TRUE(read(*bulk)->Equals(*expected)) << group << " as of now-" << (now - as_of) / kSec << "s";
      EXPECT_TRUE(read(*run)->Equals(*expected)) << group << " as of now-" << (now - as_of) / kSec << "s, write-only";
      EXPECT_GT(expected->length() - expected->null_count(), 15000) << group;
    }
  }
}

// Rule 4 by brute force: the newest min(limit, max_length) events at or before t, newest first
// (ties: the later write); null when nothing is visible, and only visible events.
std::optional<std::vector<Value>> ExpectedSequence(const std::vector<Written>& rows, int64_t key, int64_t t,
                                                   int64_t retention, size_t max_length, int32_t limit) {
  std::vector<const Written*> at;
  for (const auto& r : rows)
    if (r.key == key && r.event_time <= t) at.push_back(&r);
  std::sort(at.begin(), at.end(), [](const Written* a, const Written* b) {
    return a->event_time != b->event_time ? a->event_time > b->event_time : a->write_seq > b->write_seq;
  });
  auto visible = [&](const Written* r) { return retention <= 0 || t - r->event_time <= retention; };
  if (at.empty() || !visible(at[0])) return std::nullopt;
  const size_t n = limit > 0 ? std::min(max_length, static_cast<size_t>(limit)) : max_length;
  std::vector<Value> out;
  for (const Written* r : at) {
    if (out.size() == n || !visible(r)) break;
    out.push_back(r->value);
  }
  return out;
}

class SequenceDifferentialTest : public ::testing::TestWithParam<int> {};

TEST_P(SequenceDifferentialTest, MatchesBruteForceThroughMergesCompactionAndRestart) {
  const int seed = GetParam();
  std::mt19937_64 rng(seed);
  TempDir dir;
  const bool with_retention = seed % 2 == 1;
  const int64_t retention = 40 * 60 * kSec;
  const size_t max_length = 4;
  const std::string yaml = std::string("online: {backend: rocksdb, path: .strata/online, sync: false}\n") +
                           "entities:\n  user: {key: user_id}\nfeature_groups:\n  s:\n    entity: user\n    kind: sequence\n" +
                           "    max_length: 4\n    history: 1h\n" + (with_retention ? "    retention: 40m\n" : "") +
                           "    features: {v: int64}\n";
  auto repo = MakeRepo(dir, yaml);
  const int64_t now = NowMicros();
  // Event times on a coarse grid from 3 hours ago to 10 minutes ahead: ties, late and future events.
  auto random_time = [&] { return now - 3 * 3600 * kSec + static_cast<int64_t>(rng() % 64) * 3 * 60 * kSec; };
  std::vector<Written> written;
  int64_t next_value = 1;
  std::vector<Value> keys;
  for (int64_t k = 0; k < 6; ++k) keys.push_back(k);
  auto check = [&](int64_t as_of, int32_t limit, const char* when) {
    const auto& g = **repo->FindGroup("s");
    auto cols = repo->Read(g, keys, {&g.features[0]}, as_of, limit);
    ASSERT_TRUE(cols.ok()) << cols.status().ToString();
    for (int64_t k = 0; k < 6; ++k)
      ASSERT_EQ(ListCell(*(*cols)[0], k), ExpectedSequence(written, k, as_of, with_retention ? retention : 0, max_length, limit))
          << when << ": key " << k << " as of now-" << (now - as_of) / kSec << "s, limit " << limit << ", seed " << seed;
  };
  auto check_all = [&](const char* when) {
    for (int64_t t = now - 3540 * kSec; t <= now + 600 * kSec; t += 3 * 60 * kSec)
      for (int64_t at : {t - 1, t, t + 1})
        for (int32_t limit : {0, 1, 3}) check(at, limit, when);
  };
  for (int batch = 0; batch < 40; ++batch) {
    const auto& g = **repo->FindGroup("s");
    std::vector<FeatureRow> rows;
    const int n = 1 + static_cast<int>(rng() % 30);  // often several events of one key in a batch
    for (int i = 0; i < n; ++i) {
      const int64_t key = static_cast<int64_t>(rng() % 5);  // key 5 stays empty
      const int64_t t = random_time();
      rows.push_back(Row(key, t, {next_value}));
      written.push_back({key, t, repo->last_write_seq() + rows.size(), next_value});
      ++next_value;
    }
    ASSERT_TRUE(repo->Write(g, rows).ok());
    if (batch % 10 == 9) check_all("between writes (merged at read)");
    if (batch == 19) {
      ASSERT_TRUE(repo->online().Compact().ok());
    }
  }
  check_all("before compaction");
  ASSERT_TRUE(repo->online().Compact().ok());
  check_all("after compaction");
  repo.reset();  // a restart: operands written since the compaction are in the log and memtable
  auto reopened = FeatureRepository::Open(dir.str());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  repo = std::move(*reopened);
  check_all("after a restart");
}

INSTANTIATE_TEST_SUITE_P(Seeds, SequenceDifferentialTest, ::testing::Range(0, 8));

}  // namespace
}  // namespace strata
