// bench/serving: the data and the load generator of the serving benchmark (run.py drives it).
//
//   serving_bench gen  --users N --items M --dir D [--redis-port P --fields F]
//       Writes users/items/embeddings Parquet files (deterministic) and, with --redis-port,
//       loads the same rows into redis-server in Feast's Redis layout (one hash per entity key,
//       field = murmur3 of "view:feature" -> a serialized feast.types.Value, "_ts:view" ->
//       google.protobuf.Timestamp), with the field names and key layout from F (written by run.py
//       from Feast's own helpers).
//   serving_bench warm --addr HOST:PORT --users N --items-total M   (reads every key once)
//   serving_bench load --target strata|redis|feast --addr HOST:PORT --items K --concurrency C
//                      --seconds S [--rate R] [--fields F] [--users N --items-total M]
//                      [--event-times per-group|per-column|none] [--trace FILE] [--client async|sync]
//                      [--log on|off]
//       Closed loop (each of C workers sends its next request when the last one returns), or
//       open loop at R requests/s (latency counted from each request's scheduled time). Every
//       request asks for 1 user + K items: 20 user features, 30 item features and a 64-d
//       embedding, and (strata) the event times per group by default, as Feast's layout holds
//       them (one "_ts:view" per entity and feature view). Prints one JSON line: throughput and
//       latency percentiles; --trace writes each measured request's due time and latency. Strata's
//       open loop is sent over gRPC's async API on C connections (--client sync: C workers).
//       --log on asks strata to log every response (serve with the feature log on).

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <httplib.h>
#include <parquet/arrow/writer.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "strata/core/jemalloc_reexec.h"
#include "strata/serving/client.h"
#include "strata/v1/feature_service.grpc.pb.h"

#include <grpcpp/grpcpp.h>

using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

constexpr int kUserFloats = 10, kUserInt64 = 5, kUserInt32 = 3, kUserStrings = 2;  // 20
constexpr int kItemFloats = 15, kItemInt64 = 10, kItemStrings = 5;                 // 30
constexpr int kDim = 64;
constexpr int64_t kEventTime = 1'767'225'600'000'000;  // 2026-01-01

[[noreturn]] void Die(const std::string& what) {
  fmt::print(stderr, "serving_bench: {}\n", what);
  std::exit(1);
}

uint64_t Mix(uint64_t x) {  // SplitMix64: a value per (entity, feature), reproducible anywhere
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
float F(uint64_t id, int f) { return static_cast<float>(Mix(id * 131 + f) % 1'000'000) / 1e6f; }
int64_t I(uint64_t id, int f) { return static_cast<int64_t>(Mix(id * 137 + f) % 100'000); }
std::string S(uint64_t id, int f) { return fmt::format("c{}", Mix(id * 139 + f) % 200); }

std::vector<std::string> UserFeatureNames() {
  std::vector<std::string> n;
  for (int i = 0; i < kUserFloats; ++i) n.push_back(fmt::format("uf{}", i));
  for (int i = 0; i < kUserInt64; ++i) n.push_back(fmt::format("ui{}", i));
  for (int i = 0; i < kUserInt32; ++i) n.push_back(fmt::format("uc{}", i));
  for (int i = 0; i < kUserStrings; ++i) n.push_back(fmt::format("us{}", i));
  return n;
}
std::vector<std::string> ItemFeatureNames() {
  std::vector<std::string> n;
  for (int i = 0; i < kItemFloats; ++i) n.push_back(fmt::format("if{}", i));
  for (int i = 0; i < kItemInt64; ++i) n.push_back(fmt::format("ii{}", i));
  for (int i = 0; i < kItemStrings; ++i) n.push_back(fmt::format("is{}", i));
  return n;
}

void Embedding(uint64_t item, float* out) {
  double norm = 0;
  for (int d = 0; d < kDim; ++d) {
    out[d] = F(item, 1000 + d) - 0.5f;
    norm += out[d] * out[d];
  }
  for (int d = 0; d < kDim; ++d) out[d] = static_cast<float>(out[d] / std::sqrt(norm));
}

template <typename T>
T Ok(arrow::Result<T> r) {
  if (!r.ok()) Die(r.status().ToString());
  return std::move(r).ValueOrDie();
}
void Ok(const arrow::Status& s) {
  if (!s.ok()) Die(s.ToString());
}

// --- Feast's Redis layout ------------------------------------------------------------------

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
std::string ValueFloat(float v) {
  std::string s("\x35", 1);
  s.append(reinterpret_cast<const char*>(&v), 4);
  return s;
}
std::string ValueInt64(int64_t v) {
  std::string s("\x20", 1);
  PutVarint(&s, static_cast<uint64_t>(v));
  return s;
}
std::string ValueInt32(int32_t v) {
  std::string s("\x18", 1);
  PutVarint(&s, static_cast<uint64_t>(static_cast<int64_t>(v)));
  return s;
}
std::string ValueString(const std::string& v) {
  std::string s("\x12", 1);
  PutVarint(&s, v.size());
  return s + v;
}
std::string ValueFloatList(const float* v, int n) {  // float_list_val (16) { repeated float val = 1 [packed] }
  std::string inner("\x0a", 1);
  PutVarint(&inner, static_cast<uint64_t>(n) * 4);
  inner.append(reinterpret_cast<const char*>(v), n * 4);
  std::string s("\x82\x01", 2);
  PutVarint(&s, inner.size());
  return s + inner;
}
std::string TimestampProto(int64_t micros) {
  std::string s("\x08", 1);
  PutVarint(&s, static_cast<uint64_t>(micros / 1'000'000));
  return s;
}
// serialize_entity_key (version 3) of one int64 join key, then the project (feast helpers._redis_key).
std::string FeastKey(const std::string& join_key, int64_t v, const std::string& project) {
  std::string s;
  auto u32 = [&](uint32_t x) { s.append(reinterpret_cast<const char*>(&x), 4); };
  u32(1);
  u32(2);  // ValueType.STRING: the join key's name
  u32(static_cast<uint32_t>(join_key.size()));
  s += join_key;
  u32(4);  // ValueType.INT64
  u32(8);
  s.append(reinterpret_cast<const char*>(&v), 8);
  return s + project;
}

std::string Unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

struct FeastLayout {
  std::string project;
  std::map<std::string, std::string> field;  // "view:feature" -> mmh3 field bytes
  static FeastLayout Load(const std::string& path) {
    std::ifstream in(path);
    if (!in) Die("cannot read " + path);
    json j = json::parse(in);
    FeastLayout l;
    l.project = j.at("project");
    for (auto& [k, v] : j.at("fields").items()) l.field[k] = Unhex(v.get<std::string>());
    for (auto& s : j.at("sample_keys")) {  // the C++ key layout must be Feast's, byte for byte
      const std::string expect = Unhex(s.at("hex"));
      if (FeastKey(s.at("join_key"), s.at("value"), l.project) != expect) Die("Feast key layout mismatch");
    }
    return l;
  }
  const std::string& Field(const std::string& view, const std::string& feature) const {
    auto it = field.find(view + ":" + feature);
    if (it == field.end()) Die("no Feast field for " + view + ":" + feature);
    return it->second;
  }
};

class Redis {
 public:
  Redis(const std::string& host, int port) {
    ctx_ = redisConnect(host.c_str(), port);
    if (!ctx_ || ctx_->err) Die(fmt::format("cannot connect to redis at {}:{}", host, port));
  }
  ~Redis() { redisFree(ctx_); }
  void Append(const std::vector<std::string>& args) {
    std::vector<const char*> a;
    std::vector<size_t> l;
    for (auto& s : args) {
      a.push_back(s.data());
      l.push_back(s.size());
    }
    redisAppendCommandArgv(ctx_, static_cast<int>(a.size()), a.data(), l.data());
  }
  redisReply* Get() {
    void* r = nullptr;
    if (redisGetReply(ctx_, &r) != REDIS_OK || !r) Die("redis reply");
    return static_cast<redisReply*>(r);
  }

 private:
  redisContext* ctx_ = nullptr;
};

// --- gen -----------------------------------------------------------------------------------

void WriteParquet(const std::shared_ptr<arrow::Table>& t, const std::string& path) {
  auto out = Ok(arrow::io::FileOutputStream::Open(path));
  Ok(parquet::arrow::WriteTable(*t, arrow::default_memory_pool(), out, 64 * 1024));
  Ok(out->Close());
}

void Gen(int64_t users, int64_t items, const std::string& dir, int redis_port, const std::string& fields_path) {
  auto ts_type = arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  {  // users
    arrow::Int64Builder id;
    arrow::TimestampBuilder ts(ts_type, arrow::default_memory_pool());
    std::vector<arrow::FloatBuilder> f(kUserFloats);
    std::vector<arrow::Int64Builder> i64(kUserInt64);
    std::vector<arrow::Int32Builder> i32(kUserInt32);
    std::vector<arrow::StringBuilder> s(kUserStrings);
    for (int64_t u = 0; u < users; ++u) {
      Ok(id.Append(u));
      Ok(ts.Append(kEventTime));
      for (int k = 0; k < kUserFloats; ++k) Ok(f[k].Append(F(u, k)));
      for (int k = 0; k < kUserInt64; ++k) Ok(i64[k].Append(I(u, 100 + k)));
      for (int k = 0; k < kUserInt32; ++k) Ok(i32[k].Append(static_cast<int32_t>(I(u, 200 + k))));
      for (int k = 0; k < kUserStrings; ++k) Ok(s[k].Append(S(u, 300 + k)));
    }
    std::vector<std::shared_ptr<arrow::Field>> fields = {arrow::field("user_id", arrow::int64()), arrow::field("ts", ts_type)};
    std::vector<std::shared_ptr<arrow::Array>> cols = {Ok(id.Finish()), Ok(ts.Finish())};
    auto names = UserFeatureNames();
    size_t n = 0;
    for (auto& b : f) fields.push_back(arrow::field(names[n++], arrow::float32())), cols.push_back(Ok(b.Finish()));
    for (auto& b : i64) fields.push_back(arrow::field(names[n++], arrow::int64())), cols.push_back(Ok(b.Finish()));
    for (auto& b : i32) fields.push_back(arrow::field(names[n++], arrow::int32())), cols.push_back(Ok(b.Finish()));
    for (auto& b : s) fields.push_back(arrow::field(names[n++], arrow::utf8())), cols.push_back(Ok(b.Finish()));
    WriteParquet(arrow::Table::Make(arrow::schema(fields), cols), dir + "/users.parquet");
  }
  {  // items and their embeddings
    arrow::Int64Builder id, eid;
    arrow::TimestampBuilder ts(ts_type, arrow::default_memory_pool()), ets(ts_type, arrow::default_memory_pool());
    std::vector<arrow::FloatBuilder> f(kItemFloats);
    std::vector<arrow::Int64Builder> i64(kItemInt64);
    std::vector<arrow::StringBuilder> s(kItemStrings);
    auto vec_values = std::make_shared<arrow::FloatBuilder>();
    arrow::FixedSizeListBuilder vec(arrow::default_memory_pool(), vec_values, kDim);
    float e[kDim];
    for (int64_t it = 0; it < items; ++it) {
      Ok(id.Append(it));
      Ok(ts.Append(kEventTime));
      for (int k = 0; k < kItemFloats; ++k) Ok(f[k].Append(F(it + (1LL << 40), k)));
      for (int k = 0; k < kItemInt64; ++k) Ok(i64[k].Append(I(it + (1LL << 40), 100 + k)));
      for (int k = 0; k < kItemStrings; ++k) Ok(s[k].Append(S(it + (1LL << 40), 300 + k)));
      Ok(eid.Append(it));
      Ok(ets.Append(kEventTime));
      Embedding(it, e);
      Ok(vec.Append());
      Ok(vec_values->AppendValues(e, kDim));
    }
    std::vector<std::shared_ptr<arrow::Field>> fields = {arrow::field("item_id", arrow::int64()), arrow::field("ts", ts_type)};
    std::vector<std::shared_ptr<arrow::Array>> cols = {Ok(id.Finish()), Ok(ts.Finish())};
    auto names = ItemFeatureNames();
    size_t n = 0;
    for (auto& b : f) fields.push_back(arrow::field(names[n++], arrow::float32())), cols.push_back(Ok(b.Finish()));
    for (auto& b : i64) fields.push_back(arrow::field(names[n++], arrow::int64())), cols.push_back(Ok(b.Finish()));
    for (auto& b : s) fields.push_back(arrow::field(names[n++], arrow::utf8())), cols.push_back(Ok(b.Finish()));
    WriteParquet(arrow::Table::Make(arrow::schema(fields), cols), dir + "/items.parquet");
    auto vt = arrow::Table::Make(
        arrow::schema({arrow::field("item_id", arrow::int64()), arrow::field("ts", ts_type),
                       arrow::field("vec", arrow::fixed_size_list(arrow::float32(), kDim))}),
        {Ok(eid.Finish()), Ok(ets.Finish()), Ok(vec.Finish())});
    WriteParquet(vt, dir + "/item_embeddings.parquet");
  }
  if (redis_port <= 0) return;
  const FeastLayout layout = FeastLayout::Load(fields_path);
  Redis redis("127.0.0.1", redis_port);
  const auto unames = UserFeatureNames();
  const auto inames = ItemFeatureNames();
  const std::string ts = TimestampProto(kEventTime);
  int pending = 0;
  auto flush = [&](bool all) {
    if (pending < 512 && !all) return;
    for (; pending > 0; --pending) freeReplyObject(redis.Get());
  };
  for (int64_t u = 0; u < users; ++u) {
    std::vector<std::string> cmd = {"HSET", FeastKey("user_id", u, layout.project)};
    for (int k = 0; k < 20; ++k) {
      cmd.push_back(layout.Field("user_profile", unames[k]));
      if (k < kUserFloats) cmd.push_back(ValueFloat(F(u, k)));
      else if (k < kUserFloats + kUserInt64) cmd.push_back(ValueInt64(I(u, 100 + k - kUserFloats)));
      else if (k < kUserFloats + kUserInt64 + kUserInt32)
        cmd.push_back(ValueInt32(static_cast<int32_t>(I(u, 200 + k - kUserFloats - kUserInt64))));
      else cmd.push_back(ValueString(S(u, 300 + k - kUserFloats - kUserInt64 - kUserInt32)));
    }
    cmd.push_back("_ts:user_profile");
    cmd.push_back(ts);
    redis.Append(cmd);
    ++pending;
    flush(false);
  }
  float e[kDim];
  for (int64_t it = 0; it < items; ++it) {
    const uint64_t seed = it + (1LL << 40);
    std::vector<std::string> cmd = {"HSET", FeastKey("item_id", it, layout.project)};
    for (int k = 0; k < 30; ++k) {
      cmd.push_back(layout.Field("item_stats", inames[k]));
      if (k < kItemFloats) cmd.push_back(ValueFloat(F(seed, k)));
      else if (k < kItemFloats + kItemInt64) cmd.push_back(ValueInt64(I(seed, 100 + k - kItemFloats)));
      else cmd.push_back(ValueString(S(seed, 300 + k - kItemFloats - kItemInt64)));
    }
    Embedding(it, e);
    cmd.push_back(layout.Field("item_embedding", "vec"));
    cmd.push_back(ValueFloatList(e, kDim));
    cmd.push_back("_ts:item_stats");
    cmd.push_back(ts);
    cmd.push_back("_ts:item_embedding");
    cmd.push_back(ts);
    redis.Append(cmd);
    ++pending;
    flush(false);
  }
  flush(true);
}

// --- load ----------------------------------------------------------------------------------

// Watches for the machine itself stopping: on a VM the host can take a vCPU away for milliseconds,
// and in an open loop every request due in that time waits for it. One thread per CPU, pinned and
// at real-time priority (so our own load cannot delay it), sleeps 1 ms at a time and records each
// wake-up more than 1 ms late as a stall (shorter ones go unseen). Where real-time priority is
// refused, it says so and its figure also counts our own load's delays.
class StallMonitor {
 public:
  struct Stall {
    double from, to;  // seconds since the load's start
  };

  void Start(Clock::time_point start) {
    start_ = start;
    const int cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    per_cpu_.resize(cpus);
    for (int cpu = 0; cpu < cpus; ++cpu) threads_.emplace_back([this, cpu] { Watch(cpu); });
  }

  // Stops the threads; returns the stalls of all CPUs, merged where they overlap.
  std::vector<Stall> Stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    std::vector<Stall> all;
    for (const auto& s : per_cpu_) all.insert(all.end(), s.begin(), s.end());
    std::sort(all.begin(), all.end(), [](const Stall& a, const Stall& b) { return a.from < b.from; });
    std::vector<Stall> merged;
    for (const auto& s : all) {
      if (!merged.empty() && s.from <= merged.back().to) merged.back().to = std::max(merged.back().to, s.to);
      else merged.push_back(s);
    }
    return merged;
  }

  bool realtime() const { return realtime_.load(); }

 private:
  void Watch(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    sched_param param{};
    param.sched_priority = 50;
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) != 0) realtime_ = false;
    constexpr auto kSleep = std::chrono::milliseconds(1), kLate = std::chrono::milliseconds(1);
    while (!stop_.load(std::memory_order_relaxed)) {
      const auto before = Clock::now();
      std::this_thread::sleep_for(kSleep);
      const auto after = Clock::now();
      if (after - before > kSleep + kLate)
        per_cpu_[cpu].push_back({std::chrono::duration<double>(before + kSleep - start_).count(),
                                 std::chrono::duration<double>(after - start_).count()});
    }
  }

  Clock::time_point start_;
  std::atomic<bool> stop_{false}, realtime_{true};
  std::vector<std::vector<Stall>> per_cpu_;
  std::vector<std::thread> threads_;
};

// The CPU time the kernel counted, summed over the CPUs (/proc/stat's "cpu" line, in ticks), and
// the part of it the host took: on a shared VM the host takes vCPUs away, most of all while they
// are busy, and each millisecond it does lands in someone's latency.
struct CpuTimes {
  double steal = 0, total = 0;
};

CpuTimes ReadCpuTimes() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  CpuTimes t;
  if (!(f >> cpu) || cpu != "cpu") return t;
  for (int i = 0; i < 8; ++i) {  // user nice system idle iowait irq softirq steal (guest is in user)
    double v;
    if (!(f >> v)) break;
    t.total += v;
    if (i == 7) t.steal = v;
  }
  return t;
}

struct LoadOptions {
  std::string target, addr, fields, trace, client = "async";
  strata::v1::EventTimes event_times = strata::v1::EVENT_TIMES_PER_GROUP;
  strata::v1::LogMode log = strata::v1::LOG_OFF;  // --log on: every response to the feature log
  int items = 100, concurrency = 1;
  double seconds = 5, rate = 0;
  int64_t users_total = 1'000'000, items_total = 1'000'000;
};

// Decodes one serialized feast Value into a sink (what a client must do with each value).
bool DecodeFeastValue(const char* p, size_t n, double* sink) {
  if (n == 0) return false;
  const uint8_t tag = static_cast<uint8_t>(p[0]);
  auto varint = [&](size_t at, uint64_t* v) {
    *v = 0;
    for (int shift = 0; at < n && shift < 64; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(p[at++]);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return at;
    }
    return size_t{0};
  };
  uint64_t v;
  switch (tag) {
    case 0x35: {
      float f;
      std::memcpy(&f, p + 1, 4);
      *sink += f;
      return true;
    }
    case 0x20:
    case 0x18: return varint(1, &v) ? (*sink += static_cast<double>(v), true) : false;
    case 0x12: return varint(1, &v) ? (*sink += static_cast<double>(v), true) : false;  // string: its bytes follow
    case 0x82: {  // float_list_val
      size_t at = varint(2, &v);
      if (!at || at >= n) return false;
      at = varint(at + 1, &v);
      const size_t count = v / 4;
      for (size_t i = 0; i < count; ++i) {
        float f;
        std::memcpy(&f, p + at + 4 * i, 4);
        *sink += f;
      }
      return true;
    }
    default: return false;
  }
}

class Worker {
 public:
  virtual ~Worker() = default;
  // One request: 1 user + `items` items. False on any error.
  virtual bool Request(int64_t user, const std::vector<int64_t>& items) = 0;
};

// The request every strata generator sends (its keys refilled per call), and its answer's check.
strata::v1::GetFeaturesRequest StrataRequest(strata::v1::EventTimes event_times, strata::v1::LogMode log) {
  strata::v1::GetFeaturesRequest request;
  request.add_entities()->set_entity("user");
  request.add_entities()->set_entity("item");
  request.add_features("user_profile:*");
  request.add_features("item_stats:*");
  request.add_features("item_embedding:vec");
  request.set_log(log);
  request.set_event_times(event_times);
  return request;
}

bool StrataAnswered(const strata::v1::GetFeaturesResponse& response) {
  return response.columns_size() == 51 && response.columns(0).statuses(0) == strata::v1::PRESENT;
}

class StrataWorker final : public Worker {
 public:
  StrataWorker(const std::string& addr, strata::v1::EventTimes event_times, strata::v1::LogMode log) {
    auto c = strata::Client::Connect(addr);
    if (!c.ok()) Die(c.status().ToString());
    client_ = std::move(*c);
    request_ = StrataRequest(event_times, log);
  }
  // One request and one response per worker, refilled call after call, as a client that keeps
  // its messages does (their arrays and strings are reused).
  bool Request(int64_t user, const std::vector<int64_t>& items) override {
    auto* u = request_.mutable_entities(0)->mutable_int64_keys();
    u->Clear();
    u->Add(user);
    auto* it = request_.mutable_entities(1)->mutable_int64_keys();
    it->Clear();
    it->Add(items.begin(), items.end());
    const strata::Status st = client_->GetFeatures(request_, &response_);
    if (!st.ok()) {
      fmt::print(stderr, "strata: {}\n", st.ToString());
      return false;
    }
    return StrataAnswered(response_);
  }

 private:
  strata::v1::GetFeaturesRequest request_;
  strata::v1::GetFeaturesResponse response_;
  std::unique_ptr<strata::Client> client_;
};

class RedisWorker final : public Worker {
 public:
  RedisWorker(const std::string& addr, const FeastLayout& layout) : layout_(layout) {
    const auto colon = addr.rfind(':');
    redis_ = std::make_unique<Redis>(addr.substr(0, colon), std::stoi(addr.substr(colon + 1)));
    user_cmd_ = {"HMGET", ""};
    for (const auto& n : UserFeatureNames()) user_cmd_.push_back(layout.Field("user_profile", n));
    user_cmd_.push_back("_ts:user_profile");
    item_cmd_ = {"HMGET", ""};
    for (const auto& n : ItemFeatureNames()) item_cmd_.push_back(layout.Field("item_stats", n));
    item_cmd_.push_back(layout.Field("item_embedding", "vec"));
    item_cmd_.push_back("_ts:item_stats");
    item_cmd_.push_back("_ts:item_embedding");
  }
  bool Request(int64_t user, const std::vector<int64_t>& items) override {
    user_cmd_[1] = FeastKey("user_id", user, layout_.project);
    redis_->Append(user_cmd_);
    for (int64_t i : items) {
      item_cmd_[1] = FeastKey("item_id", i, layout_.project);
      redis_->Append(item_cmd_);
    }
    bool ok = true;
    double sink = 0;
    for (size_t r = 0; r <= items.size(); ++r) {
      redisReply* reply = redis_->Get();
      if (reply->type != REDIS_REPLY_ARRAY) ok = false;
      else
        for (size_t e = 0; e < reply->elements; ++e) {
          const redisReply* v = reply->element[e];
          if (v->type != REDIS_REPLY_STRING) {
            ok = false;
            continue;
          }
          const size_t values = r == 0 ? 20 : 31;  // then the _ts fields
          if (e < values) ok &= DecodeFeastValue(v->str, v->len, &sink);
        }
      freeReplyObject(reply);
    }
    sink_ += sink;
    return ok;
  }

 private:
  const FeastLayout& layout_;
  std::unique_ptr<Redis> redis_;
  std::vector<std::string> user_cmd_, item_cmd_;
  double sink_ = 0;
};

class FeastWorker final : public Worker {
 public:
  explicit FeastWorker(const std::string& addr) {
    const auto colon = addr.rfind(':');
    http_ = std::make_unique<httplib::Client>(addr.substr(0, colon), std::stoi(addr.substr(colon + 1)));
    http_->set_keep_alive(true);
    http_->set_read_timeout(60);
    for (const auto& n : UserFeatureNames()) features_.push_back("user_profile:" + n);
    for (const auto& n : ItemFeatureNames()) features_.push_back("item_stats:" + n);
    features_.push_back("item_embedding:vec");
  }
  bool Request(int64_t user, const std::vector<int64_t>& items) override {
    json body = {{"features", features_},
                 {"entities", {{"user_id", std::vector<int64_t>(items.size(), user)}, {"item_id", items}}}};
    auto res = http_->Post("/get-online-features", body.dump(), "application/json");
    if (!res || res->status != 200) {
      fmt::print(stderr, "feast: {}\n", res ? res->body.substr(0, 300) : httplib::to_string(res.error()));
      return false;
    }
    return res->body.find("PRESENT") != std::string::npos;
  }

 private:
  std::unique_ptr<httplib::Client> http_;
  std::vector<std::string> features_;
};

// Strata's open loop over gRPC's async API: one thread sends each request at its due time, one
// takes the answers, over `connections` connections in turn. A generator that does not park a
// thread per request in flight (as a ranking service's event loop does not) keeps its own
// wake-ups and hand-offs out of the latencies it measures. Returns each measured request's
// (due time in s from `start`, latency in us).
std::vector<std::pair<double, double>> StrataAsyncOpenLoop(const LoadOptions& o, int connections, Clock::time_point start,
                                                           const std::atomic<bool>& measuring, const std::atomic<bool>& stop,
                                                           std::atomic<int64_t>& errors) {
  std::vector<std::unique_ptr<strata::v1::FeatureService::Stub>> stubs;
  for (int i = 0; i < connections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection each
    auto channel = grpc::CreateCustomChannel(o.addr, grpc::InsecureChannelCredentials(), args);
    // Connected before the first request is due, so no request waits for a handshake.
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)))
      Die("cannot connect to strata at " + o.addr);
    stubs.push_back(strata::v1::FeatureService::NewStub(channel));
  }
  struct Call {  // reused, so that its response keeps its arrays and strings
    std::optional<grpc::ClientContext> context;  // one per call, as gRPC requires
    strata::v1::GetFeaturesResponse response;
    grpc::Status status;
    Clock::time_point due;
    bool measured = false;
    std::unique_ptr<grpc::ClientAsyncResponseReader<strata::v1::GetFeaturesResponse>> reader;
  };
  grpc::CompletionQueue cq;
  std::mutex free_mu;
  std::vector<std::unique_ptr<Call>> free_calls;
  std::atomic<int64_t> in_flight{0};
  std::atomic<bool> sent_all{false};
  std::vector<std::pair<double, double>> spans;
  std::thread receiver([&] {
    void* tag;
    bool ok;
    while (cq.Next(&tag, &ok)) {
      std::unique_ptr<Call> call(static_cast<Call*>(tag));
      const auto done = Clock::now();
      const bool good = ok && call->status.ok() && StrataAnswered(call->response);
      if (!call->status.ok()) fmt::print(stderr, "strata: {}\n", call->status.error_message());
      if (call->measured) {
        spans.emplace_back(std::chrono::duration<double>(call->due - start).count(),
                           std::chrono::duration<double, std::micro>(done - call->due).count());
        if (!good) errors.fetch_add(1);
      }
      {
        std::lock_guard lock(free_mu);
        free_calls.push_back(std::move(call));
      }
      if (in_flight.fetch_sub(1) == 1 && sent_all.load()) cq.Shutdown();
    }
  });
  std::mt19937_64 rng(1234);
  strata::v1::GetFeaturesRequest request = StrataRequest(o.event_times, o.log);
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / o.rate));
  auto due = start;
  for (int64_t n = 0; !stop.load(std::memory_order_relaxed); ++n, due += interval) {
    auto* users = request.mutable_entities(0)->mutable_int64_keys();
    users->Clear();
    users->Add(static_cast<int64_t>(rng() % o.users_total));
    auto* items = request.mutable_entities(1)->mutable_int64_keys();
    items->Clear();
    for (int i = 0; i < o.items; ++i) items->Add(static_cast<int64_t>(rng() % o.items_total));
    std::this_thread::sleep_until(due);
    std::unique_ptr<Call> call;
    {
      std::lock_guard lock(free_mu);
      if (!free_calls.empty()) {
        call = std::move(free_calls.back());
        free_calls.pop_back();
      }
    }
    if (!call) call = std::make_unique<Call>();
    call->due = due;
    call->measured = measuring.load(std::memory_order_relaxed);
    call->context.emplace();
    call->context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    call->reader = stubs[n % connections]->AsyncGetFeatures(&*call->context, request, &cq);
    in_flight.fetch_add(1);
    Call* tag = call.release();
    tag->reader->Finish(&tag->response, &tag->status, tag);
  }
  sent_all = true;
  if (in_flight.load() == 0) cq.Shutdown();  // else the receiver shuts it after the last answer
  receiver.join();
  return spans;
}

// The p-quantile of sorted values (0 for none).
double Percentile(const std::vector<double>& sorted, double p) {
  return sorted.empty() ? 0.0 : sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())))];
}

void Load(const LoadOptions& o) {
  std::unique_ptr<FeastLayout> layout;
  if (o.target == "redis") layout = std::make_unique<FeastLayout>(FeastLayout::Load(o.fields));
  auto make = [&]() -> std::unique_ptr<Worker> {
    if (o.target == "strata") return std::make_unique<StrataWorker>(o.addr, o.event_times, o.log);
    if (o.target == "redis") return std::make_unique<RedisWorker>(o.addr, *layout);
    if (o.target == "feast") return std::make_unique<FeastWorker>(o.addr);
    Die("--target must be strata, redis or feast");
  };
  const bool async_open_loop = o.target == "strata" && o.rate > 0 && o.client == "async";
  std::vector<std::unique_ptr<Worker>> workers;
  if (!async_open_loop)
    for (int i = 0; i < o.concurrency; ++i) workers.push_back(make());
  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<std::pair<double, double>>> spans(o.concurrency);  // (due at s, latency us)
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  StallMonitor monitor;
  if (o.rate > 0) monitor.Start(start);
  const auto warmup = std::chrono::milliseconds(std::min<int64_t>(1000, static_cast<int64_t>(o.seconds * 200)));
  if (async_open_loop)  // --concurrency is its number of connections
    threads.emplace_back([&] { spans[0] = StrataAsyncOpenLoop(o, o.concurrency, start, measuring, stop, errors); });
  for (int w = 0; w < o.concurrency && !async_open_loop; ++w)
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(1234 + w);
      std::vector<int64_t> items(o.items);
      // Open loop: this worker's share of the rate, its first request staggered.
      const double interval = o.rate > 0 ? o.concurrency / o.rate : 0;
      auto next = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval * w / o.concurrency));
      while (!stop.load(std::memory_order_relaxed)) {
        const int64_t user = static_cast<int64_t>(rng() % o.users_total);
        for (auto& i : items) i = static_cast<int64_t>(rng() % o.items_total);
        Clock::time_point t0 = Clock::now();
        if (interval > 0) {
          std::this_thread::sleep_until(next);
          t0 = next;  // latency from the scheduled time: no coordinated omission
          next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval));
        }
        const bool ok = workers[w]->Request(user, items);
        const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        if (measuring.load(std::memory_order_relaxed)) {
          spans[w].emplace_back(std::chrono::duration<double>(t0 - start).count(), us);
          if (!ok) errors.fetch_add(1);
        }
      }
    });
  std::this_thread::sleep_for(warmup);
  measuring = true;
  const auto t_measure = Clock::now();
  const CpuTimes cpu_before = ReadCpuTimes();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  measuring = false;
  const CpuTimes cpu_after = ReadCpuTimes();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t_measure).count();
  stop = true;
  for (auto& t : threads) t.join();
  if (!o.trace.empty()) {  // one line per request: when it was due (s from start), its latency (us)
    std::ofstream f(o.trace);
    f << fmt::format("# start {:.6f} s (steady clock)\n", std::chrono::duration<double>(start.time_since_epoch()).count());
    for (int w = 0; w < o.concurrency; ++w)
      for (const auto& [at, us] : spans[w]) f << at << ' ' << us << ' ' << w << '\n';
  }
  json stalls_out;
  if (o.rate > 0) {
    // The requests that overlapped none of the machine's stalls, and the share of the measured
    // time the machine stood still.
    const auto stalls = monitor.Stop();
    const double from = std::chrono::duration<double>(t_measure - start).count(), to = from + elapsed;
    double stalled = 0;
    for (const auto& s : stalls) stalled += std::max(0.0, std::min(s.to, to) - std::max(s.from, from));
    std::vector<double> clear;
    for (const auto& w : spans)
      for (const auto& [at, us] : w) {
        const double end = at + us * 1e-6;
        auto it = std::lower_bound(stalls.begin(), stalls.end(), at,
                                   [](const StallMonitor::Stall& s, double t) { return s.to < t; });
        if (it == stalls.end() || it->from > end) clear.push_back(us);
      }
    std::sort(clear.begin(), clear.end());
    stalls_out = {{"stalled_share", stalled / elapsed},
                  {"stall_monitor_realtime", monitor.realtime()},
                  {"requests_clear_of_stalls", clear.size()},
                  {"clear_p99_us", Percentile(clear, 0.99)},
                  {"clear_p999_us", Percentile(clear, 0.999)}};
  }
  std::vector<double> all;
  for (const auto& w : spans)
    for (const auto& span : w) all.push_back(span.second);
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return Percentile(all, p); };
  json out = {{"target", o.target},   {"items", o.items},         {"concurrency", o.concurrency},
              {"rate", o.rate},       {"requests", all.size()},   {"errors", errors.load()},
              {"rps", all.size() / elapsed}, {"p50_us", pct(0.50)}, {"p99_us", pct(0.99)},
              {"p999_us", pct(0.999)}};
  // The host's share of the machine's CPU time while measuring (0 where /proc/stat has none).
  if (cpu_after.total > cpu_before.total)
    out["steal_share"] = (cpu_after.steal - cpu_before.steal) / (cpu_after.total - cpu_before.total);
  if (!stalls_out.is_null()) out.update(stalls_out);
  fmt::print("{}\n", out.dump());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Die("usage: serving_bench gen|load [options] (see the comment at the top of serving_bench.cc)");
  const std::string cmd = argv[1];
  // The load generator on jemalloc, as the server is: glibc's malloc was a fifth of its CPU, taken
  // from the cores the server shares with it (the same for every system it drives).
  if (cmd == "load") strata::MaybeReexecWithJemalloc(argc, argv);
  std::map<std::string, std::string> a;
  for (int i = 2; i + 1 < argc; i += 2) a[argv[i]] = argv[i + 1];
  auto get = [&](const std::string& k, const std::string& d) { return a.count(k) ? a[k] : d; };
  if (cmd == "gen") {
    Gen(std::stoll(get("--users", "1000000")), std::stoll(get("--items", "1000000")), get("--dir", "."),
        std::stoi(get("--redis-port", "0")), get("--fields", ""));
  } else if (cmd == "warm") {  // every key once through strata (as redis holds all in memory)
    auto client = strata::Client::Connect(get("--addr", "127.0.0.1:6566"));
    if (!client.ok()) Die(client.status().ToString());
    const int64_t users = std::stoll(get("--users", "1000000")), items = std::stoll(get("--items-total", "1000000"));
    for (int64_t at = 0; at < std::max(users, items); at += 1000) {
      strata::v1::GetFeaturesRequest r;
      auto* u = r.add_entities();
      u->set_entity("user");
      for (int64_t k = at; k < std::min(users, at + 1000); ++k) u->add_int64_keys(k);
      auto* it = r.add_entities();
      it->set_entity("item");
      for (int64_t k = at; k < std::min(items, at + 1000); ++k) it->add_int64_keys(k);
      if (u->int64_keys_size()) r.add_features("user_profile:uf0");
      if (it->int64_keys_size()) {
        r.add_features("item_stats:if0");
        r.add_features("item_embedding:vec");
      }
      auto resp = (*client)->GetFeatures(r, std::chrono::seconds(60));
      if (!resp.ok()) Die(resp.status().ToString());
    }
  } else if (cmd == "load") {
    LoadOptions o;
    o.target = get("--target", "strata");
    o.addr = get("--addr", "127.0.0.1:6566");
    o.fields = get("--fields", "");
    o.trace = get("--trace", "");
    o.client = get("--client", "async");
    if (o.client != "async" && o.client != "sync") Die("--client must be async or sync");
    o.items = std::stoi(get("--items", "100"));
    o.concurrency = std::stoi(get("--concurrency", "1"));
    o.seconds = std::stod(get("--seconds", "5"));
    o.rate = std::stod(get("--rate", "0"));
    o.users_total = std::stoll(get("--users", "1000000"));
    o.items_total = std::stoll(get("--items-total", "1000000"));
    const std::string times = get("--event-times", "per-group");
    if (times == "per-column") o.event_times = strata::v1::EVENT_TIMES_PER_COLUMN;
    else if (times == "none") o.event_times = strata::v1::EVENT_TIMES_NONE;
    else if (times != "per-group") Die("--event-times must be per-group, per-column or none");
    const std::string log = get("--log", "off");
    if (log == "on") o.log = strata::v1::LOG_ON;
    else if (log != "off") Die("--log must be on or off");
    Load(o);
  } else {
    Die("unknown command " + cmd);
  }
  return 0;
}
