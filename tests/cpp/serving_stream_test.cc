// `strata serve --stream`: a Kafka stream consumed in the serving process, into the store it
// serves (librdkafka's mock cluster). Streamed rows are servable once written; pushes go
// through the stream's write pipeline; both end up in both stores exactly once.

#include <gtest/gtest.h>

#include <arrow/api.h>

#include <chrono>
#include <set>
#include <thread>

#include "mock_kafka.h"
#include "served_clicks.h"
#include "strata/serving/client.h"
#include "strata/serving/server.h"
#include "strata/store/group_scan.h"
#include "test_repo.h"

namespace strata::serving {
namespace {

using testing::TempDir;

constexpr const char* kDefs = testing::kClicksRepo;

int64_t Now() { return testing::RecentMicros(); }

using testing::ProduceClicks;
using testing::ServedItems;

std::vector<int64_t> OfflineWriteSeqs(FeatureRepository& repo, const std::string& group) {
  return testing::OfflineInt64Column(repo, group, "write_seq");
}

// gRPC on a free port, no HTTP, consuming `stream`.
ServeOptions StreamingOptions(const TempDir& dir, const StreamConfig& stream) {
  ServeOptions o;
  o.repo = dir.str();
  o.grpc_address = "127.0.0.1:0";
  o.http_address = "";
  o.server.stream = stream;
  return o;
}

class StreamingServer {
 public:
  StreamingServer(const TempDir& dir, const StreamConfig& stream) {
    auto s = Server::Start(StreamingOptions(dir, stream));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return;
    server = std::move(*s);
    auto c = Client::Connect("127.0.0.1:" + std::to_string(server->grpc_port()));
    EXPECT_TRUE(c.ok());
    if (c.ok()) client = std::move(*c);
  }
  std::unique_ptr<Server> server;
  std::unique_ptr<Client> client;
};

TEST(StreamingServer, ServesStreamedRowsAndWritesPushesThroughTheStreamExactlyOnce) {
  TempDir dir;
  testing::MakeRepo(dir, kDefs).reset();
  testing::MockKafka kafka(2);
  ProduceClicks(kafka, 0, 300);
  StreamConfig config = testing::ClicksStream("served", kafka, "json");
  config.commit_rows = 100;
  config.max_batch_messages = 50;
  {
    StreamingServer s(dir, config);
    ASSERT_TRUE(s.server && s.client);
    // Pushes while the stream consumes: one write pipeline, each push its own write.
    std::thread producer([&] { ProduceClicks(kafka, 300, 300); });
    uint64_t last_seq = 0;
    for (int i = 0; i < 50; ++i) {
      v1::PushRequest p;
      p.set_group("clicks");
      auto* row = p.add_rows();
      row->set_int64_key(100);
      row->set_event_time_micros(Now());
      (*row->mutable_features())["item"].set_int64_value(10'000 + i);
      auto r = s.client->Push(p);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_GT(r->last_write_seq(), last_seq);
      last_seq = r->last_write_seq();
    }
    producer.join();
    // Every streamed event becomes servable (the partitions may be consumed at different paces:
    // wait for all of them): user 0 has items 0, 7, ..., 595 (86; the newest 50 kept).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (s.server->core().stream()->counters().rows.load() < 600) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the stream never consumed every message";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::vector<int64_t> items = ServedItems(*s.client, 0);
    ASSERT_EQ(items.size(), 50u);
    for (size_t i = 0; i < items.size(); ++i) EXPECT_EQ(items[i], 595 - 7 * static_cast<int64_t>(i));
    items = ServedItems(*s.client, 100);
    ASSERT_EQ(items.size(), 50u);
    EXPECT_EQ(items.front(), 10'049);
    const std::string metrics = s.server->core().RenderMetrics();
    EXPECT_NE(metrics.find("strata_stream_messages_total 600"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("strata_stream_pushed_rows_total 50"), std::string::npos);
    EXPECT_NE(metrics.find("strata_stream_running 1"), std::string::npos);
    ASSERT_TRUE(s.server->Shutdown(std::chrono::seconds(5)).ok());  // commits the stream's rows offline
  }
  {
    auto repo = FeatureRepository::Open(dir.str());
    ASSERT_TRUE(repo.ok());
    const auto seqs = OfflineWriteSeqs(**repo, "clicks");
    EXPECT_EQ(seqs.size(), 650u);
    EXPECT_EQ(std::set<int64_t>(seqs.begin(), seqs.end()).size(), 650u);
  }
  // A restart resumes after the stored offsets: only new messages are consumed.
  ProduceClicks(kafka, 600, 7);
  {
    StreamingServer s(dir, config);
    ASSERT_TRUE(s.server && s.client);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (s.server->core().stream()->counters().rows.load() < 7) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // time to consume more, were there more
    EXPECT_EQ(s.server->core().stream()->counters().messages.load(), 7u);
    EXPECT_EQ(ServedItems(*s.client, 0).front(), 602);
    ASSERT_TRUE(s.server->Shutdown(std::chrono::seconds(5)).ok());
  }
  auto repo = FeatureRepository::Open(dir.str());
  ASSERT_TRUE(repo.ok());
  EXPECT_EQ(OfflineWriteSeqs(**repo, "clicks").size(), 657u);
}

TEST(StreamingServer, ABadStreamConfigurationStopsTheStartWithItsReason) {
  TempDir dir;
  testing::MakeRepo(dir, kDefs).reset();
  testing::MockKafka kafka(1);
  StreamConfig config = testing::ClicksStream("bad", kafka, "json");
  config.topics[0].group = "no_such_group";
  ServeOptions o = StreamingOptions(dir, config);
  auto s = Server::Start(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("--stream"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("no_such_group"), std::string::npos) << s.status().message();
  // Nor does a missing file start anything.
  o.server.stream.reset();
  o.stream = (dir.path() / "missing.yaml").string();
  s = Server::Start(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("missing.yaml"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace strata::serving
