// bench/online_lookup: batched online lookups, side by side in one run on the same data:
//   strata   - FeatureRepository::Read (one MultiGet per request, decoded to Arrow columns)
//   rocksdb  - raw RocksDB MultiGet of the same keys and value sizes, same options (the floor)
//   redis    - redis-server on loopback with Feast's layout (one hash per entity, HMGET,
//              pipelined) and LRANGE for sequences
// Usage: build/bin/online_lookup_bench [--users N] [--seq-users N] [--runs R] [--dir D] [--profile-strata 1|seq]
// Prints keys/s and p50/p99 per request for each, and the ratios (medians over R runs).

#include <arrow/array.h>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "strata/core/jemalloc_reexec.h"
#include "strata/core/key_codec.h"
#include "strata/core/row_codec.h"
#include "strata/core/time.h"
#include "strata/store/feature_repository.h"

namespace fs = std::filesystem;
using namespace strata;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kFeatures = 20;

struct Options {
  int64_t users = 1'000'000;
  int64_t seq_users = 20'000;
  int seq_events = 200;
  int runs = 5;
  // --profile-strata 1: only strata's table reads, for perf; --profile-strata seq: only its
  // sequence reads (newest 50 of 100 keys), for longer
  std::string profile_strata;
  std::string dir = (fs::temp_directory_path() / "strata-bench-online").string();
};

void Die(const std::string& what) {
  fmt::print(stderr, "online_lookup_bench: {}\n", what);
  std::exit(1);
}

template <typename T>
T Check(Result<T> r, const char* what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.status().ToString());
  return std::move(r).value();
}

// 20 features: 8 float32, 6 int64, 4 int32, 2 short strings.
std::string FeatureYaml() {
  std::string s = "{";
  for (int i = 0; i < kFeatures; ++i) {
    const char* t = i < 8 ? "float32" : i < 14 ? "int64" : i < 18 ? "int32" : "string";
    s += fmt::format("{}f{}: {}", i ? ", " : "", i, t);
  }
  return s + "}";
}

std::vector<Value> FeatureValues(int64_t user, std::mt19937_64& rng) {
  std::vector<Value> v(kFeatures);
  for (int i = 0; i < kFeatures; ++i) {
    if (i < 8) v[i] = static_cast<double>(static_cast<float>(rng() % 10000) / 100.0f);
    else if (i < 14) v[i] = static_cast<int64_t>(rng() % 1'000'000'000);
    else if (i < 18) v[i] = static_cast<int64_t>(rng() % 100000);
    else v[i] = fmt::format("c{:08d}", user % 99991);
  }
  return v;
}

struct Stats {
  double keys_per_sec = 0, p50_us = 0, p99_us = 0;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Times `requests` calls of `fn(batch_index)`; returns per-request latency stats.
Stats Measure(int requests, int batch, const std::function<void(int)>& fn) {
  for (int i = 0; i < std::min(requests, 50); ++i) fn(i);  // warm-up
  std::vector<double> lat(requests);
  const auto start = Clock::now();
  for (int i = 0; i < requests; ++i) {
    const auto t0 = Clock::now();
    fn(i);
    lat[i] = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  }
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(lat.begin(), lat.end());
  return {requests * static_cast<double>(batch) / total, lat[requests / 2], lat[std::min<size_t>(requests - 1, requests * 99 / 100)]};
}

Stats MedianStats(const std::vector<Stats>& runs) {
  std::vector<double> a, b, c;
  for (const auto& s : runs) {
    a.push_back(s.keys_per_sec);
    b.push_back(s.p50_us);
    c.push_back(s.p99_us);
  }
  return {Median(a), Median(b), Median(c)};
}

class Redis {
 public:
  explicit Redis(const std::string& dir) {
    port_ = 20000 + static_cast<int>(getpid() % 20000);
    pid_ = fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--dir", dir.c_str(), "--protected-mode", "yes", "--loglevel", "warning", static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100 && !ctx_; ++i) {
      usleep(50000);
      redisContext* c = redisConnect("127.0.0.1", port_);
      if (c && !c->err) ctx_ = c;
      else if (c) redisFree(c);
    }
    if (!ctx_) Die("cannot start redis-server (apt-get install redis-server, or run `make setup`)");
  }
  ~Redis() {
    if (ctx_) redisFree(ctx_);
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  void Append(const std::vector<std::string>& argv) {
    std::vector<const char*> a;
    std::vector<size_t> l;
    for (const auto& s : argv) {
      a.push_back(s.data());
      l.push_back(s.size());
    }
    redisAppendCommandArgv(ctx_, static_cast<int>(a.size()), a.data(), l.data());
  }
  // Reads `n` replies; returns the number of non-nil elements seen (so the work is not optimized away).
  int64_t Drain(int n) {
    int64_t seen = 0;
    for (int i = 0; i < n; ++i) {
      void* r = nullptr;
      if (redisGetReply(ctx_, &r) != REDIS_OK) Die("redis reply");
      auto* reply = static_cast<redisReply*>(r);
      if (reply->type == REDIS_REPLY_ARRAY) seen += static_cast<int64_t>(reply->elements);
      freeReplyObject(reply);
    }
    return seen;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  redisContext* ctx_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  // On jemalloc, as `strata serve` is (strata/core/jemalloc_reexec.h): every system measured
  // here runs in this one process, so all of them get the same allocator.
  strata::MaybeReexecWithJemalloc(argc, argv);
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--users") o.users = std::stoll(argv[i + 1]);
    else if (a == "--seq-users") o.seq_users = std::stoll(argv[i + 1]);
    else if (a == "--runs") o.runs = std::stoi(argv[i + 1]);
    else if (a == "--dir") o.dir = argv[i + 1];
    else if (a == "--profile-strata") o.profile_strata = argv[i + 1];
    else Die("unknown option " + a);
  }
  fs::remove_all(o.dir);
  fs::create_directories(o.dir);
  std::ofstream(fs::path(o.dir) / "strata.yaml")
      << "project: bench\nonline: {backend: rocksdb, path: online, sync: false, row_cache_mb: 1024}\n"
      << "entities:\n  user: {key: user_id}\nfeature_groups:\n"
      << "  profile:\n    entity: user\n    features: " << FeatureYaml() << "\n"
      << "  clicks:\n    entity: user\n    kind: sequence\n    max_length: " << o.seq_events
      << "\n    features: {item_id: int64, dwell_ms: int32}\n";
  Check(FeatureRepository::Apply(o.dir), "apply");
  auto repo = Check(FeatureRepository::Open(o.dir), "open");
  const FeatureGroupDef& profile = *Check(repo->FindGroup("profile"), "group");
  const FeatureGroupDef& clicks = *Check(repo->FindGroup("clicks"), "group");

  // Raw RocksDB with the options of strata's latest-value column family.
  rocksdb::Options ropts;
  ropts.create_if_missing = true;
  ropts.row_cache = rocksdb::NewLRUCache(1024ull << 20);  // as strata's, set in its strata.yaml above
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache(512ull << 20);
  t.cache_index_and_filter_blocks = false;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  ropts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  ropts.compression = rocksdb::kLZ4Compression;
  ropts.bottommost_compression = rocksdb::kZSTD;
  ropts.memtable_whole_key_filtering = true;
  ropts.memtable_prefix_bloom_size_ratio = 0.02;
  rocksdb::DB* raw_db = nullptr;
  if (!rocksdb::DB::Open(ropts, (fs::path(o.dir) / "raw").string(), &raw_db).ok()) Die("open raw rocksdb");
  std::unique_ptr<rocksdb::DB> raw(raw_db);

  Redis redis(o.dir);
  std::vector<std::string> fields;
  for (int i = 0; i < kFeatures; ++i) fields.push_back(fmt::format("profile:f{}", i));

  fmt::print("allocator: {}\n", strata::CurrentAllocatorName());
  fmt::print("loading {} users x {} features and {} users x {} click events into strata, rocksdb and redis...\n", o.users,
             kFeatures, o.seq_users, o.seq_events);
  std::mt19937_64 rng(1);
  const int64_t now = NowMicros();
  const auto load_start = Clock::now();
  {
    constexpr int64_t kChunk = 50'000;
    std::vector<FeatureRow> rows;
    rocksdb::WriteBatch wb;
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;
    for (int64_t u = 0; u < o.users; ++u) {
      rows.push_back(FeatureRow{u, now - 3600 * kMicrosPerSecond, FeatureValues(u, rng)});
      // Raw: the same 12-byte key and the same value bytes strata stores.
      std::string key, value(16, '\0');
      AppendGroupId(&key, profile.id);
      AppendInt64Key(&key, u);
      EncodeRow(profile.features, rows.back().features, &value);
      wb.Put(key, value);
      // Redis: Feast's layout, one hash per entity with the event timestamp.
      std::vector<std::string> cmd = {"HSET", fmt::format("user:{}", u), "_ts:profile", std::to_string(now)};
      for (int i = 0; i < kFeatures; ++i) {
        cmd.push_back(fields[i]);
        cmd.push_back(std::visit([](const auto& x) -> std::string {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, double>) return fmt::format("{}", x);
          else if constexpr (std::is_same_v<T, std::string>) return x;
          else return "";
        }, rows.back().features[i]));
      }
      redis.Append(cmd);
      if (rows.size() == kChunk || u + 1 == o.users) {
        Check(repo->Write(profile, rows), "write");
        if (!raw->Write(wo, &wb).ok()) Die("raw write");
        redis.Drain(static_cast<int>(rows.size()));
        rows.clear();
        wb.Clear();
      }
    }
    std::vector<FeatureRow> events;
    for (int64_t u = 0; u < o.seq_users; ++u) {
      std::string list_key = fmt::format("clicks:{}", u);
      for (int e = 0; e < o.seq_events; ++e) {
        const int64_t item = static_cast<int64_t>(rng() % 1'000'000);
        const int64_t dwell = static_cast<int64_t>(rng() % 60000);
        events.push_back(FeatureRow{u, now - (o.seq_events - e) * kMicrosPerSecond, {item, dwell}});
        std::string ev(12, '\0');
        std::memcpy(ev.data(), &item, 8);
        std::memcpy(ev.data() + 8, &dwell, 4);
        redis.Append({"LPUSH", list_key, ev});
      }
      redis.Append({"LTRIM", list_key, "0", std::to_string(o.seq_events - 1)});
      redis.Drain(o.seq_events + 1);
      if (events.size() >= 50'000) {
        Check(repo->Write(clicks, events), "write");
        events.clear();
      }
    }
    Check(repo->Write(clicks, events), "write");
  }
  Check(repo->online().Compact().ok() ? Result<int>(0) : Result<int>(Status::Internal("compact")), "compact");
  raw->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
  fmt::print("loaded in {:.1f}s\n\n", std::chrono::duration<double>(Clock::now() - load_start).count());
  {  // Warm caches: every key once through strata and raw RocksDB (redis is in memory).
    std::vector<const FeatureDef*> warm_features = {&profile.features[0]};
    for (int64_t u = 0; u < o.users; u += 1000) {
      std::vector<Value> keys;
      std::vector<std::string> rkeys;
      for (int64_t k = u; k < std::min(o.users, u + 1000); ++k) {
        keys.push_back(k);
        std::string key;
        AppendGroupId(&key, profile.id);
        AppendInt64Key(&key, k);
        rkeys.push_back(key);
      }
      Check(repo->Read(profile, keys, warm_features), "warm");
      std::vector<rocksdb::Slice> slices(rkeys.begin(), rkeys.end());
      std::vector<rocksdb::PinnableSlice> values(rkeys.size());
      std::vector<rocksdb::Status> st(rkeys.size());
      raw->MultiGet(rocksdb::ReadOptions(), raw->DefaultColumnFamily(), rkeys.size(), slices.data(), values.data(), st.data());
    }
    for (int64_t u = 0; u < o.seq_users; u += 1000) {
      std::vector<Value> keys;
      for (int64_t k = u; k < std::min(o.seq_users, u + 1000); ++k) keys.push_back(k);
      Check(repo->Read(clicks, keys, {&clicks.features[0]}), "warm");
    }
  }

  std::vector<const FeatureDef*> all;
  for (const auto& f : profile.features) all.push_back(&f);
  std::vector<const FeatureDef*> seq_features = {&clicks.features[0], &clicks.features[1]};

  fmt::print("{:<34} {:>12} {:>10} {:>10}\n", "lookup (median of runs)", "keys/s", "p50 us", "p99 us");
  struct Row {
    std::string name;
    Stats strata, rocks, redis;
    bool has_rocks;
    Stats reused;  // tables: ReadInto one ReadColumns kept across requests

  };
  std::vector<Row> table;
  int64_t sink = 0;
  // Loops to run under perf: Strata's reads only.
  auto profile_sequences = [&](int requests) {
    std::vector<const FeatureDef*> sf = {&clicks.features[0], &clicks.features[1]};
    std::vector<std::vector<Value>> keys(requests);
    for (auto& r : keys)
      for (int b = 0; b < 100; ++b) r.push_back(static_cast<int64_t>(rng() % o.seq_users));
    auto s = Measure(requests, 100, [&](int i) { sink += Check(repo->Read(clicks, keys[i], sf, std::nullopt, 50), "read")[0]->length(); });
    fmt::print("strata sequences newest 50 of 100 keys: {:.0f} keys/s p50 {:.1f} us\n", s.keys_per_sec, s.p50_us);
  };
  if (o.profile_strata == "seq") {
    profile_sequences(50000);
    return 0;
  }
  if (!o.profile_strata.empty()) {
    {
      std::vector<Value> none;
      auto s0 = Measure(200000, 1, [&](int) { sink += Check(repo->Read(profile, none, all), "read").size(); });
      fmt::print("strata empty request (20 columns): p50 {:.2f} us\n", s0.p50_us);
    }
    profile_sequences(20000);
    for (int batch : {1000, 1}) {
      const int requests = batch == 1 ? 300000 : 3000;
      std::vector<std::vector<Value>> keys(requests);
      for (auto& r : keys)
        for (int b = 0; b < batch; ++b) r.push_back(static_cast<int64_t>(rng() % o.users));
      auto s = Measure(requests, batch, [&](int i) { sink += Check(repo->Read(profile, keys[i], all), "read")[0]->length(); });
      fmt::print("strata batch {}: {:.0f} keys/s p50 {:.1f} us\n", batch, s.keys_per_sec, s.p50_us);
      ReadColumns reused;
      auto su = Measure(requests, batch, [&](int i) {
        if (!repo->ReadInto(profile, keys[i], all, &reused).ok()) Die("read");
        sink += reused[0].IsNull(0);
      });
      fmt::print("strata batch {}, ReadInto reused columns: {:.0f} keys/s p50 {:.1f} us\n", batch, su.keys_per_sec, su.p50_us);
      std::vector<const FeatureDef*> one = {all[0]};
      auto s1 = Measure(requests, batch, [&](int i) { sink += Check(repo->Read(profile, keys[i], one), "read")[0]->length(); });
      fmt::print("strata batch {}, 1 feature: {:.0f} keys/s p50 {:.1f} us\n", batch, s1.keys_per_sec, s1.p50_us);
    }
    return 0;
  }
  for (int batch : {1, 100, 1000}) {
    const int requests = batch == 1 ? 20000 : batch == 100 ? 2000 : 300;
    std::vector<Stats> s_runs, r_runs, d_runs, u_runs;
    ReadColumns reused;
    for (int run = 0; run < o.runs; ++run) {
      std::mt19937_64 krng(100 + run);
      std::vector<std::vector<int64_t>> reqs(requests, std::vector<int64_t>(batch));
      for (auto& r : reqs)
        for (auto& k : r) k = static_cast<int64_t>(krng() % o.users);
      std::vector<std::vector<Value>> vkeys(requests);
      std::vector<std::vector<std::string>> rkeys(requests);
      for (int i = 0; i < requests; ++i)
        for (int64_t k : reqs[i]) {
          vkeys[i].push_back(k);
          std::string key;
          AppendGroupId(&key, profile.id);
          AppendInt64Key(&key, k);
          rkeys[i].push_back(key);
        }
      s_runs.push_back(Measure(requests, batch, [&](int i) {
        auto cols = Check(repo->Read(profile, vkeys[i], all), "read");
        sink += cols[0]->null_count();
      }));
      u_runs.push_back(Measure(requests, batch, [&](int i) {
        Status st = repo->ReadInto(profile, vkeys[i], all, &reused);
        if (!st.ok()) Die("read: " + st.ToString());
        for (size_t c = 0; c < reused.size(); ++c) sink += reused[c].IsNull(0);  // every column, as a caller would
      }));
      r_runs.push_back(Measure(requests, batch, [&](int i) {
        std::vector<rocksdb::Slice> slices(rkeys[i].begin(), rkeys[i].end());
        std::vector<rocksdb::PinnableSlice> values(batch);
        std::vector<rocksdb::Status> st(batch);
        raw->MultiGet(rocksdb::ReadOptions(), raw->DefaultColumnFamily(), batch, slices.data(), values.data(), st.data());
        sink += static_cast<int64_t>(values[0].size());
      }));
      d_runs.push_back(Measure(requests, batch, [&](int i) {
        for (int64_t k : reqs[i]) {
          std::vector<std::string> cmd = {"HMGET", fmt::format("user:{}", k)};
          cmd.insert(cmd.end(), fields.begin(), fields.end());
          redis.Append(cmd);
        }
        sink += redis.Drain(batch);
      }));
    }
    table.push_back({fmt::format("table, {} keys x 20 features", batch), MedianStats(s_runs), MedianStats(r_runs),
                     MedianStats(d_runs), true, MedianStats(u_runs)});
  }
  for (int n : {50, 200}) {
    for (int batch : {1, 100}) {
      const int requests = batch == 1 ? 20000 : 300;
      std::vector<Stats> s_runs, d_runs;
      for (int run = 0; run < o.runs; ++run) {
        std::mt19937_64 krng(200 + run);
        std::vector<std::vector<Value>> vkeys(requests);
        for (auto& r : vkeys)
          for (int b = 0; b < batch; ++b) r.push_back(static_cast<int64_t>(krng() % o.seq_users));
        s_runs.push_back(Measure(requests, batch, [&](int i) {
          auto cols = Check(repo->Read(clicks, vkeys[i], seq_features, std::nullopt, n), "read");
          sink += cols[0]->length();
        }));
        d_runs.push_back(Measure(requests, batch, [&](int i) {
          for (const auto& k : vkeys[i])
            redis.Append({"LRANGE", fmt::format("clicks:{}", std::get<int64_t>(k)), "0", std::to_string(n - 1)});
          sink += redis.Drain(batch);
        }));
      }
      table.push_back(
          {fmt::format("sequence newest {}, {} key(s)", n, batch), MedianStats(s_runs), {}, MedianStats(d_runs), false, {}});
    }
  }
  for (const auto& r : table) {
    fmt::print("{:<34}\n", r.name);
    fmt::print("  {:<32} {:>12.0f} {:>10.1f} {:>10.1f}\n", "strata", r.strata.keys_per_sec, r.strata.p50_us, r.strata.p99_us);
    if (r.has_rocks)
      fmt::print("  {:<32} {:>12.0f} {:>10.1f} {:>10.1f}\n", "strata ReadInto, reused columns", r.reused.keys_per_sec,
                 r.reused.p50_us, r.reused.p99_us);
    if (r.has_rocks)
      fmt::print("  {:<32} {:>12.0f} {:>10.1f} {:>10.1f}\n", "raw rocksdb MultiGet", r.rocks.keys_per_sec, r.rocks.p50_us, r.rocks.p99_us);
    fmt::print("  {:<32} {:>12.0f} {:>10.1f} {:>10.1f}\n", r.has_rocks ? "redis HMGET pipelined" : "redis LRANGE pipelined",
               r.redis.keys_per_sec, r.redis.p50_us, r.redis.p99_us);
  }
  fmt::print("\nratios                             per-key cost vs raw MultiGet (target <= 1.5)   throughput vs redis (target >= 3)\n"
             "                                   Read (Arrow arrays) / ReadInto (reused columns)\n");
  for (const auto& r : table) {
    const std::string vs_raw = r.has_rocks ? fmt::format("{:.2f}x / {:.2f}x", r.rocks.keys_per_sec / r.strata.keys_per_sec,
                                                         r.rocks.keys_per_sec / r.reused.keys_per_sec)
                                           : "-";
    fmt::print("  {:<34} {:>16} {:>36.2f}x\n", r.name, vs_raw, r.strata.keys_per_sec / r.redis.keys_per_sec);
  }
  fmt::print("\n(sink {})\nreproduce: make bench  (or build/bin/online_lookup_bench --users {} --runs {})\n", sink % 10, o.users, o.runs);
  repo.reset();
  raw.reset();
  fs::remove_all(o.dir);
  return 0;
}
