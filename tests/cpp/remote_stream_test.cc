// `strata stream --server`: consumers that write through a server (StreamWrite), so that
// several processes in one consumer group split the partitions. The fence on the partitions'
// positions keeps every event once across rebalances and retried batches (librdkafka's mock
// cluster; the SIGKILL tests with a real broker are in tests/python/test_stream.py).

#include <gtest/gtest.h>

#include <arrow/api.h>

#include <chrono>
#include <set>
#include <thread>

#include "mock_kafka.h"
#include "served_clicks.h"
#include "strata/ingest/kafka_stream.h"
#include <nlohmann/json.hpp>

#include "strata/core/repo_yaml.h"
#include "strata/ingest/value_conversion.h"
#include "strata/serving/client.h"
#include "strata/serving/push_decoding.h"
#include "strata/serving/push_encoding.h"
#include "strata/serving/remote_stream_sink.h"
#include "strata/serving/server.h"
#include "strata/store/group_scan.h"
#include "test_repo.h"

namespace strata::serving {
namespace {

using testing::TempDir;
using Clock = std::chrono::steady_clock;

int64_t Now() { return testing::RecentMicros(); }

using testing::ServedItems;

void ProduceSpreadClicks(testing::MockKafka& kafka, int64_t first, int64_t n) {
  testing::ProduceClicks(kafka, first, n, /*key_by_item=*/true);  // every partition gets events
}

// Every offline row of group "clicks": (item, write_seq).
std::vector<std::pair<int64_t, int64_t>> OfflineClicks(FeatureRepository& repo) {
  const auto items = testing::OfflineInt64Column(repo, "clicks", "item");
  const auto seqs = testing::OfflineInt64Column(repo, "clicks", "write_seq");
  EXPECT_EQ(items.size(), seqs.size());
  std::vector<std::pair<int64_t, int64_t>> out;
  for (size_t i = 0; i < std::min(items.size(), seqs.size()); ++i) out.emplace_back(items[i], seqs[i]);
  return out;
}

class ServerWithoutStream {
 public:
  explicit ServerWithoutStream(const TempDir& dir) {
    ServeOptions o;
    o.repo = dir.str();
    o.grpc_address = "127.0.0.1:0";
    o.http_address = "";
    auto s = Server::Start(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return;
    server = std::move(*s);
    address = "127.0.0.1:" + std::to_string(server->grpc_port());
    auto c = Client::Connect(address);
    EXPECT_TRUE(c.ok());
    if (c.ok()) client = std::move(*c);
  }
  std::unique_ptr<Server> server;
  std::unique_ptr<Client> client;
  std::string address;
};

// A remote consumer running on its own thread until stopped.
class RemoteConsumer {
 public:
  RemoteConsumer(const TempDir& dir, const std::string& address, const StreamConfig& config) {
    auto definition = FeatureRepository::Open(dir.str(), {.read_only = true});
    EXPECT_TRUE(definition.ok()) << definition.status().ToString();
    if (!definition.ok()) return;
    auto sink = RemoteStreamSink::Connect(address, config.name, config.commit_rows, config.commit_interval_ms);
    EXPECT_TRUE(sink.ok());
    if (!sink.ok()) return;
    auto s = KafkaStream::OpenRemote((*definition)->definition(), dir.str(), config, std::move(*sink));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return;
    stream = std::move(*s);
    thread = std::thread([this] { status = stream->Run(stop, /*stop_at_end=*/false); });
  }
  // Stops, and leaves the consumer group (its partitions go to the others).
  void Stop() {
    stop = true;
    if (thread.joinable()) thread.join();
    EXPECT_TRUE(status.ok()) << status.ToString();
    if (stream) final_rows = stream->counters().rows.load();
    stream.reset();
  }
  ~RemoteConsumer() { Stop(); }
  uint64_t rows() const { return stream ? stream->counters().rows.load() : final_rows; }

  std::unique_ptr<KafkaStream> stream;
  std::atomic<bool> stop{false};
  uint64_t final_rows = 0;
  std::thread thread;
  Status status;
};

void WaitFor(const std::function<bool()>& done, const char* what) {
  const auto deadline = Clock::now() + std::chrono::seconds(90);
  while (!done()) {
    ASSERT_LT(Clock::now(), deadline) << what;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TEST(RemoteStream, ConsumersInOneGroupSplitThePartitionsAndWriteEveryEventOnceAcrossRebalances) {
  TempDir dir;
  testing::MakeRepo(dir, testing::kClicksRepo).reset();
  testing::MockKafka kafka(4);
  ProduceSpreadClicks(kafka, 0, 2000);
  StreamConfig config = testing::ClicksStream("shared", kafka, "json");
  config.commit_rows = 500;
  config.max_batch_messages = 100;
  ServerWithoutStream s(dir);
  ASSERT_TRUE(s.server && s.client);
  uint64_t written_by_a = 0, written_by_b = 0;
  {
    auto a = std::make_unique<RemoteConsumer>(dir, s.address, config);
    ASSERT_TRUE(a->stream);
    ASSERT_NO_FATAL_FAILURE(WaitFor([&] { return a->rows() >= 300; }, "the first consumer never wrote"));
    // A second consumer joins: the group rebalances and the partitions are split.
    RemoteConsumer b(dir, s.address, config);
    ASSERT_TRUE(b.stream);
    ASSERT_NO_FATAL_FAILURE(WaitFor([&] { return b.stream->counters().rebalances.load() > 0; }, "the second consumer never joined"));
    ProduceSpreadClicks(kafka, 2000, 2000);
    ASSERT_NO_FATAL_FAILURE(WaitFor([&] { return b.rows() > 0; }, "the second consumer never got a partition"));
    // The first leaves while the second consumes: its partitions move over.
    a->Stop();
    written_by_a = a->rows();
    ProduceSpreadClicks(kafka, 4000, 1000);
    ASSERT_NO_FATAL_FAILURE(WaitFor([&] { return written_by_a + b.rows() >= 5000; }, "the events were not all written"))
        << "written by the first " << written_by_a << ", by the second " << b.rows() << ", conflicts "
        << b.stream->counters().conflicts.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // time to write more, were there duplicates
    written_by_b = b.rows();
    EXPECT_EQ(written_by_a + written_by_b, 5000u);
    EXPECT_GT(b.stream->counters().rebalances.load(), 0u);
  }
  EXPECT_GT(written_by_b, 0u);
  // Served at once, from the server's store (checked against the offline rows below).
  const std::vector<int64_t> served = ServedItems(*s.client, 0);
  const std::string metrics = s.server->core().RenderMetrics();
  EXPECT_NE(metrics.find("method=\"StreamWrite\",transport=\"grpc\",outcome=\"ok\""), std::string::npos);
  ASSERT_TRUE(s.server->Shutdown(std::chrono::seconds(5)).ok());  // commits the stream's pending rows offline
  s.server.reset();
  auto repo = FeatureRepository::Open(dir.str());
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();
  const auto rows = OfflineClicks(**repo);
  ASSERT_EQ(rows.size(), 5000u);
  std::set<int64_t> items_offline, seqs;
  for (const auto& [item, seq] : rows) {
    items_offline.insert(item);
    seqs.insert(seq);
  }
  EXPECT_EQ(items_offline.size(), 5000u);
  EXPECT_EQ(seqs.size(), 5000u);
  EXPECT_EQ(*items_offline.rbegin(), 4999);
  // User 0's newest 50 (equal event times: the last written first) are what was served.
  std::vector<std::pair<int64_t, int64_t>> user0;  // (write_seq, item)
  for (const auto& [item, seq] : rows)
    if (item % 7 == 0) user0.emplace_back(seq, item);
  std::sort(user0.rbegin(), user0.rend());
  ASSERT_EQ(served.size(), 50u);
  for (size_t i = 0; i < served.size(); ++i) EXPECT_EQ(served[i], user0[i].second) << i;
}

v1::StreamWriteRequest Batch(const std::string& stream, int64_t user, std::vector<int64_t> items,
                             std::vector<std::tuple<std::string, std::string, std::string>> positions) {
  v1::StreamWriteRequest r;
  r.set_stream(stream);
  v1::PushRequest* run = r.add_batches();
  run->set_group("clicks");
  for (int64_t item : items) {
    v1::PushRow* row = run->add_rows();
    row->set_int64_key(user);
    row->set_event_time_micros(Now());
    (*row->mutable_features())["item"].set_int64_value(item);
  }
  for (const auto& [source, start, next] : positions) {
    v1::StreamPosition* p = r.add_positions();
    p->set_source(source);
    p->set_start(start);
    p->set_next(next);
  }
  return r;
}

TEST(RemoteStream, ABatchThatDoesNotStartAtTheStoredPositionIsRefusedWhole) {
  TempDir dir;
  testing::MakeRepo(dir, testing::kClicksRepo).reset();
  ServerWithoutStream s(dir);
  ASSERT_TRUE(s.server && s.client);
  Client& c = *s.client;
  // A new partition: no position stored, any start is taken.
  auto first = Batch("fenced", 1, {1, 2}, {{"kafka/clicks/0", "", "10"}});
  auto r = c.StreamWrite(first);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->conflict());
  EXPECT_EQ(r->rows_written(), 2u);
  // The same batch again (a retry after a lost answer): refused, nothing written twice.
  r = c.StreamWrite(first);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->conflict());
  EXPECT_EQ(r->stored().at("kafka/clicks/0"), "10");
  EXPECT_EQ(r->rows_written(), 0u);
  EXPECT_EQ(ServedItems(c, 1), (std::vector<int64_t>{2, 1}));
  // From where the store is: written.
  r = c.StreamWrite(Batch("fenced", 1, {3}, {{"kafka/clicks/0", "10", "11"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->conflict());
  // Two partitions, one of them stale (a consumer that lost it): none of the rows is written.
  r = c.StreamWrite(Batch("fenced", 1, {4, 5}, {{"kafka/clicks/0", "10", "12"}, {"kafka/clicks/1", "", "7"}}));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->conflict());
  EXPECT_EQ(r->stored().at("kafka/clicks/0"), "11");
  EXPECT_EQ(r->stored().count("kafka/clicks/1"), 0u);
  EXPECT_EQ(ServedItems(c, 1), (std::vector<int64_t>{3, 2, 1}));
  auto positions = c.StreamPositions("fenced");
  ASSERT_TRUE(positions.ok());
  EXPECT_EQ(positions->positions().size(), 1u);
  EXPECT_EQ(positions->positions().at("kafka/clicks/0"), "11");
  // A bad row: INVALID_ARGUMENT naming it; neither the rows nor the positions move.
  auto bad = Batch("fenced", 1, {6}, {{"kafka/clicks/0", "11", "12"}});
  (*bad.mutable_batches(0)->mutable_rows(0)->mutable_features())["nope"].set_int64_value(1);
  r = c.StreamWrite(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("nope"), std::string::npos) << r.status().message();
  EXPECT_EQ(c.StreamPositions("fenced")->positions().at("kafka/clicks/0"), "11");
  // One stream per server.
  r = c.StreamWrite(Batch("other", 1, {7}, {{"kafka/clicks/0", "", "1"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fenced"), std::string::npos) << r.status().message();
  // Pushes go through the stream's writer meanwhile, and a shutdown commits it all offline.
  v1::PushRequest push;
  push.set_group("clicks");
  auto* row = push.add_rows();
  row->set_int64_key(2);
  row->set_event_time_micros(Now());
  (*row->mutable_features())["item"].set_int64_value(100);
  ASSERT_TRUE(c.Push(push).ok());
  ASSERT_TRUE(s.server->Shutdown(std::chrono::seconds(5)).ok());
  s.server.reset();
  auto repo = FeatureRepository::Open(dir.str());
  ASSERT_TRUE(repo.ok());
  EXPECT_EQ(OfflineClicks(**repo).size(), 4u);
}

double MetricValue(const std::string& text, const std::string& name) {
  const auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

TEST(RemoteStream, RowsOfAFailedOfflineCommitReachTheOfflineTableWhenTheStreamReopens) {
  TempDir dir;
  testing::MakeRepo(dir, testing::kClicksRepo).reset();
  ServerWithoutStream s(dir);
  ASSERT_TRUE(s.server && s.client);
  auto batch = [&](std::vector<int64_t> items, const std::string& start, const std::string& next) {
    auto r = Batch("failing", 3, std::move(items), {{"kafka/clicks/0", start, next}});
    r.set_commit_rows(1);  // an offline commit after every batch
    return s.client->StreamWrite(r);
  };
  auto offline_items = [&] {
    auto repo = FeatureRepository::Open(dir.str(), {.read_only = true});
    EXPECT_TRUE(repo.ok()) << repo.status().ToString();
    return repo.ok() ? testing::OfflineInt64Column(**repo, "clicks", "item") : std::vector<int64_t>{};
  };
  ASSERT_TRUE(batch({1, 2}, "", "2").ok());
  ASSERT_NO_FATAL_FAILURE(WaitFor([&] { return offline_items().size() == 2; }, "the first commit never landed"));
  // The table's data folder becomes a file: the next offline commit fails (even for root).
  std::filesystem::path data;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path()))
    if (e.is_directory() && e.path().filename() == "data" && e.path().parent_path().filename() == "clicks") data = e.path();
  ASSERT_FALSE(data.empty());
  std::filesystem::rename(data, data.string() + ".aside");
  testing::WriteText(data, "not a folder");
  auto r = batch({3, 4}, "2", "4");
  ASSERT_TRUE(r.ok()) << r.status().ToString();  // written online; the commit fails behind it
  EXPECT_FALSE(r->conflict());
  ASSERT_NO_FATAL_FAILURE(WaitFor(
      [&] { return MetricValue(s.server->core().RenderMetrics(), "strata_remote_stream_commit_failures_total") >= 1; },
      "the offline commit never failed"));
  std::filesystem::remove(data);
  std::filesystem::rename(data.string() + ".aside", data);
  // The next batch reopens the stream's writer, whose recovery commits rows 3 and 4 first.
  ASSERT_TRUE(batch({5}, "4", "5").ok());
  EXPECT_EQ(ServedItems(*s.client, 3), (std::vector<int64_t>{5, 4, 3, 2, 1}));
  ASSERT_TRUE(s.server->Shutdown(std::chrono::seconds(5)).ok());
  s.server.reset();
  std::vector<int64_t> items = offline_items();
  std::sort(items.begin(), items.end());
  EXPECT_EQ(items, (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

TEST(RemoteStream, RowsCrossTheWireUnchanged) {
  auto def = ParseRepoYaml(R"(project: wire
entities:
  doc: {key: doc_id, type: string}
feature_groups:
  docs:
    entity: doc
    event_time: ts
    features: {tags: list<string>, ids: list<int64>, w: list<float32>, emb: "vector<float32,3>", raw: bytes,
               n: int32, big: int64, f: float32, d: float64, ok: bool, at: timestamp, s: string}
)", "strata.yaml");
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  const FeatureGroupDef& g = *def->FindGroup("docs");
  std::vector<FeatureRow> rows(3);
  rows[0] = {std::string("a"), 5, {std::vector<std::string>{"x", "é"}, std::vector<int64_t>{-1, 1LL << 62},
                                   std::vector<float>{0.1f, -3.4e38f}, std::vector<float>{1.f / 3, 0.f, -0.f},
                                   std::string("\0\xff", 2), int64_t{-2147483648LL}, int64_t{-(1LL << 62)}, 1.f / 3,
                                   1.0 / 3, true, int64_t{1'700'000'000'000'001}, std::string("ü")}};
  // Empty lists stay empty lists, not nulls; a row may be all nulls.
  rows[1] = {std::string("b"), 6, {std::vector<std::string>{}, std::vector<int64_t>{}, std::vector<float>{}, Value(),
                                   std::string(), Value(), Value(), Value(), Value(), false, Value(), std::string()}};
  rows[2] = {std::string("c"), 0, std::vector<Value>(g.features.size())};  // at 1970-01-01T00:00:00Z
  v1::PushRequest request;
  ASSERT_TRUE(EncodePush(*def->FindEntity("doc"), g, rows, &request).ok());
  v1::PushRequest wire;  // through the bytes on the wire
  ASSERT_TRUE(wire.ParseFromString(request.SerializeAsString()));
  EXPECT_FALSE(DecodePush(*def, wire, 100).ok());  // a Push's time 0 is "not set"
  auto decoded = DecodePush(*def, wire, 100, /*zero_time_is_unset=*/false);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->rows.size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(decoded->rows[r].key, rows[r].key);
    EXPECT_EQ(decoded->rows[r].event_time, rows[r].event_time);
    EXPECT_EQ(decoded->rows[r].features, rows[r].features) << "row " << r;
  }
}

TEST(RemoteStream, StringsThatAreNotUtf8AreRejectedAtDecodingNotOnTheWire) {
  // An Avro string or a Protobuf bytes field may carry any bytes; a string feature, a string key
  // and a list<string> take only UTF-8 (proto3 strings, Arrow and Iceberg string columns).
  const nlohmann::json bad = std::string("caf\xe9");
  auto string_type = *DataType::Parse("string");
  auto r = ValueFromJson(bad, TargetType::Feature(string_type));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("UTF-8"), std::string::npos) << r.status().message();
  EXPECT_FALSE(ValueFromJson(bad, TargetType::Key(KeyType::kString)).ok());
  EXPECT_FALSE(ValueFromJson(nlohmann::json::array({"ok", bad}), TargetType::Feature(*DataType::Parse("list<string>"))).ok());
  EXPECT_TRUE(ValueFromJson(bad, TargetType::Feature(*DataType::Parse("bytes"))).ok());
  EXPECT_TRUE(ValueFromJson(nlohmann::json("café"), TargetType::Feature(string_type)).ok());
}

}  // namespace
}  // namespace strata::serving
