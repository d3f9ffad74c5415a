// Protobuf messages on a stream: the decoder (well-known types, presence, enums, imports, the
// Confluent framing and its message indexes, bad input), the configuration, and KafkaStream
// end to end on librdkafka's mock cluster.

#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/dynamic_message.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "strata/ingest/kafka_stream.h"
#include "strata/ingest/protobuf_row_decoder.h"
#include "strata/ingest/stream_config.h"
#include "strata/store/group_scan.h"
#include "mock_kafka.h"
#include "test_repo.h"

namespace strata {
namespace {

namespace pb = google::protobuf;
using testing::ListCell;
using testing::MakeRepo;
using testing::MockKafka;
using testing::TempDir;

constexpr const char* kDefs = R"(entities:
  user: {key: user_id, type: int64}
feature_groups:
  clicks:
    entity: user
    kind: sequence
    event_time: ts
    max_length: 50
    features: {item: int64, surface: string, tags: list<string>}
)";

// Two files, as producers keep them: the enum in one the other imports.
constexpr const char* kCommonProto = R"(syntax = "proto3";
package shop;
enum Surface { HOME = 0; SEARCH = 1; }
)";
constexpr const char* kClickProto = R"(syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "common.proto";

message View { int64 uid = 1; }
message Click {
  int64 uid = 1;
  google.protobuf.Timestamp ts = 2;
  google.protobuf.Int64Value item = 3;
  Surface surface = 4;
  repeated string tags = 5;
  map<string, int64> counts = 6;
  message Inner { string note = 1; }
  Inner inner = 7;
}
)";

// Writes the .proto files into `dir`; returns the path of click.proto.
std::string WriteProtos(const TempDir& dir) {
  std::ofstream(dir.path() / "common.proto") << kCommonProto;
  std::ofstream(dir.path() / "click.proto") << kClickProto;
  return (dir.path() / "click.proto").string();
}

// Builds Click messages as a producer would (compiled from the same files with protobuf's own importer).
class ClickProducer {
 public:
  explicit ClickProducer(const TempDir& dir) {
    WriteProtos(dir);
    tree_.MapPath("", dir.path().string());
    tree_.MapPath("google/protobuf", "/usr/include/google/protobuf");
    importer_ = std::make_unique<pb::compiler::Importer>(&tree_, &errors_);
    EXPECT_NE(importer_->Import("click.proto"), nullptr);
    type_ = importer_->pool()->FindMessageTypeByName("shop.Click");
  }

  // `confluent`: a zero byte, schema id 42 and the message indexes `indexes` (raw bytes; by
  // default [1], Click: count 1 and index 1, zig-zag encoded) first.
  std::string Click(int64_t uid, int64_t ts_micros, std::optional<int64_t> item, bool confluent = false,
                    const std::string& indexes = std::string("\x02\x02", 2)) {
    std::unique_ptr<pb::Message> m(factory_.GetPrototype(type_)->New());
    const pb::Reflection* r = m->GetReflection();
    auto field = [&](const char* name) { return type_->FindFieldByName(name); };
    r->SetInt64(m.get(), field("uid"), uid);
    pb::Message* ts = r->MutableMessage(m.get(), field("ts"), &factory_);
    ts->GetReflection()->SetInt64(ts, ts->GetDescriptor()->FindFieldByName("seconds"), ts_micros / 1'000'000);
    ts->GetReflection()->SetInt32(ts, ts->GetDescriptor()->FindFieldByName("nanos"), static_cast<int32_t>(ts_micros % 1'000'000) * 1000);
    if (item) {
      pb::Message* w = r->MutableMessage(m.get(), field("item"), &factory_);
      w->GetReflection()->SetInt64(w, w->GetDescriptor()->FindFieldByName("value"), *item);
    }
    r->SetEnumValue(m.get(), field("surface"), 1);
    r->AddString(m.get(), field("tags"), "new");
    r->AddString(m.get(), field("tags"), "sale");
    pb::Message* inner = r->MutableMessage(m.get(), field("inner"), &factory_);
    inner->GetReflection()->SetString(inner, inner->GetDescriptor()->FindFieldByName("note"), "x");
    std::string out = m->SerializeAsString();
    return confluent ? std::string("\0\0\0\0\x2a", 5) + indexes + out : out;
  }

 private:
  struct Quiet : pb::compiler::MultiFileErrorCollector {
    void AddError(const std::string& f, int l, int, const std::string& m) override { ADD_FAILURE() << f << ":" << l << ": " << m; }
  };
  pb::compiler::DiskSourceTree tree_;
  Quiet errors_;
  std::unique_ptr<pb::compiler::Importer> importer_;
  pb::DynamicMessageFactory factory_;
  const pb::Descriptor* type_ = nullptr;
};

std::unique_ptr<ProtobufRowDecoder> ClickDecoder(FeatureRepository& repo, const std::string& proto, bool confluent) {
  const auto& clicks = **repo.FindGroup("clicks");
  auto json = std::make_unique<JsonRowDecoder>(repo.EntityOf(clicks), clicks, std::map<std::string, std::string>{{"user_id", "uid"}});
  auto d = ProtobufRowDecoder::Make(proto, "shop.Click", confluent, std::move(json));
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(*d) : nullptr;
}

TEST(ProtobufRowDecoder, DecodesMessagesOfTheConfiguredTypeAndRejectsEverythingElse) {
  TempDir dir;
  auto repo = MakeRepo(dir, kDefs);
  ClickProducer producer(dir);
  const std::string proto = (dir.path() / "click.proto").string();
  for (bool confluent : {false, true}) {
    auto d = ClickDecoder(*repo, proto, confluent);
    ASSERT_TRUE(d);
    FeatureRow row;
    std::string reason;
    ASSERT_TRUE(d->Decode(producer.Click(7, 1'700'000'000'123'456, 42, confluent), &row, &reason)) << reason;
    EXPECT_EQ(row.key, Value(int64_t{7}));
    EXPECT_EQ(row.event_time, 1'700'000'000'123'456);  // google.protobuf.Timestamp, to the microsecond
    ASSERT_EQ(row.features.size(), 3u);
    EXPECT_EQ(row.features[0], Value(int64_t{42}));           // Int64Value: its value
    EXPECT_EQ(row.features[1], Value(std::string("SEARCH")));  // an enum: its name
    EXPECT_EQ(row.features[2], Value(std::vector<std::string>{"new", "sale"}));
    ASSERT_TRUE(d->Decode(producer.Click(8, 1, std::nullopt, confluent), &row, &reason)) << reason;
    EXPECT_TRUE(IsNull(row.features[0]));  // a wrapper not set: null
    EXPECT_EQ(d->unknown_fields(), (std::vector<std::string>{"counts", "inner"}));

    // Cut inside the last field (inner, length-delimited): not a message of the type.
    const std::string good = producer.Click(7, 1, 42, confluent);
    reason.clear();
    EXPECT_FALSE(d->Decode(std::string_view(good).substr(0, good.size() - 1), &row, &reason));
    EXPECT_NE(reason.find("shop.Click"), std::string::npos) << reason;
    // Random bytes never crash the decoder; they are rejected or read as some message.
    std::mt19937_64 rng(confluent ? 5 : 3);
    for (int i = 0; i < 20000; ++i) {
      std::string junk(rng() % 48, '\0');
      for (auto& c : junk) c = static_cast<char>(rng());
      if (confluent && junk.size() > 5 && (rng() & 1)) junk.replace(0, 6, std::string(6, '\0'));
      reason.clear();
      if (!d->Decode(junk, &row, &reason)) {
        EXPECT_FALSE(reason.empty());
      }
    }
  }
  // The Confluent framing: required when configured; its message indexes must name the configured type.
  auto framed = ClickDecoder(*repo, proto, true);
  FeatureRow row;
  std::string reason;
  EXPECT_FALSE(framed->Decode(producer.Click(7, 1, 42, false), &row, &reason));
  EXPECT_NE(reason.find("Confluent framing"), std::string::npos) << reason;
  // [1] (count 1, index 1, zig-zag): the file's second message, Click.
  EXPECT_TRUE(framed->Decode(producer.Click(7, 1, 42, true, std::string("\x02\x02", 2)), &row, &reason)) << reason;
  // [0] written out (count 1, index 0): View, not Click.
  EXPECT_FALSE(framed->Decode(producer.Click(7, 1, 42, true, std::string("\x02\x00", 2)), &row, &reason));
  EXPECT_NE(reason.find("shop.View"), std::string::npos) << reason;
  // [0] in its short form (a single 0) is also View.
  EXPECT_FALSE(framed->Decode(producer.Click(7, 1, 42, true, std::string(1, '\0')), &row, &reason));
  EXPECT_FALSE(framed->Decode(producer.Click(7, 1, 42, true, std::string("\x02\x10", 2)), &row, &reason));
  EXPECT_NE(reason.find("not in the schema file"), std::string::npos) << reason;
}

TEST(ProtobufRowDecoder, NamesTheProblemWithASchema) {
  TempDir dir;
  auto repo = MakeRepo(dir, kDefs);
  const std::string proto = WriteProtos(dir);
  const auto& clicks = **repo->FindGroup("clicks");
  auto make = [&](const std::string& file, const std::string& type) {
    return ProtobufRowDecoder::Make(file, type, false, std::make_unique<JsonRowDecoder>(repo->EntityOf(clicks), clicks));
  };
  auto two = make(proto, "");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("2 message types"), std::string::npos) << two.status().message();
  auto unknown = make(proto, "Click");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("full name"), std::string::npos) << unknown.status().message();
  std::ofstream(dir.path() / "broken.proto") << "syntax = \"proto3\";\nmessage A {\n  int64 x = ;\n}\n";
  auto broken = make((dir.path() / "broken.proto").string(), "");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("broken.proto:3:"), std::string::npos) << broken.status().message();
  std::ofstream(dir.path() / "orphan.proto") << "syntax = \"proto3\";\nimport \"nowhere.proto\";\nmessage A { int64 x = 1; }\n";
  auto orphan = make((dir.path() / "orphan.proto").string(), "");
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(orphan.status().message().find("nowhere.proto"), std::string::npos) << orphan.status().message();
  EXPECT_FALSE(make((dir.path() / "missing.proto").string(), "").ok());
}

TEST(StreamConfig, ReadsProtobufTopicsWithTheirSchema) {
  TempDir dir;
  WriteProtos(dir);
  const std::string path = (dir.path() / "stream.yaml").string();
  auto c = ParseStreamConfig(R"(kafka: {bootstrap.servers: "k:9092"}
topics:
  - {topic: clicks, group: clicks, format: protobuf, schema: click.proto, message: shop.Click, framing: confluent}
)", path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->topics[0].proto_file, (dir.path() / "click.proto").string());
  EXPECT_EQ(c->topics[0].proto_message, "shop.Click");
  EXPECT_TRUE(c->topics[0].confluent_framing);
  for (const char* bad : {"{topic: t, group: clicks, format: protobuf}", "{topic: t, group: clicks, format: protobuf, schema: missing.proto}",
                          "{topic: t, group: clicks, message: shop.Click}", "{topic: t, group: clicks, format: thrift}"}) {
    testing::ExpectTopicRefusedOnItsLine(bad, path);
  }
}

TEST(KafkaStream, ConsumesProtobufMessages) {
  TempDir dir;
  auto repo = MakeRepo(dir, kDefs);
  ClickProducer producer(dir);
  MockKafka kafka(2);
  const int64_t t0 = testing::RecentMicros();
  for (int i = 0; i < 200; ++i) kafka.Produce(std::to_string(i % 5), producer.Click(i % 5, t0 + i, i, /*confluent=*/true));
  kafka.Produce("x", "{\"uid\": 1, \"ts\": 1, \"item\": 1}");  // JSON on a Protobuf topic
  kafka.Flush();
  StreamConfig c = testing::ClicksStream("proto", kafka, "protobuf");
  c.topics[0].proto_file = (dir.path() / "click.proto").string();
  c.topics[0].proto_message = "shop.Click";
  c.topics[0].confluent_framing = true;
  std::atomic<bool> stop{false};
  auto s = KafkaStream::Open(*repo, c);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->Run(stop, /*stop_at_end=*/true).ok());
  EXPECT_EQ((*s)->counters().rows.load(), 200u);
  EXPECT_EQ((*s)->counters().rejected.load(), 1u);
  auto events = testing::NewestClicks(*repo, 3, t0 + 1000);
  ASSERT_TRUE(events.has_value());
  EXPECT_EQ(events->size(), 40u);
  EXPECT_EQ(events->front(), Value(int64_t{198}));  // user 3's newest: item 198
  // A message type the file does not define stops the stream before it consumes anything.
  c.topics[0].proto_message = "shop.Nothing";
  auto bad = KafkaStream::Open(*repo, c);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("topic clicks"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace strata
