// The feature server through its public faces: request decoding, gRPC (strata::Client), HTTP
// and the feature log.

#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <arrow/api.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/api.h>

#include <cmath>
#include <future>
#include <thread>

#include "strata/core/time.h"
#include "strata/serving/arrow_response.h"
#include "strata/serving/client.h"
#include "strata/serving/read_plan.h"
#include "strata/serving/server.h"
#include "strata/store/feature_log_table.h"
#include "strata/store/group_scan.h"
#include "test_repo.h"

namespace strata::serving {
namespace {

using testing::TempDir;

constexpr char kRepo[] = R"(entities:
  user: {key: user_id, type: int64}
  item: {key: item_id, type: string}
feature_groups:
  profile:
    entity: user
    event_time: ts
    ttl: 1d
    features: {age: int32, country: string, ctr: float32, tags: list<string>}
  clicks:
    entity: user
    kind: sequence
    event_time: ts
    max_length: 10
    features: {item: int64}
  item_vec:
    entity: item
    event_time: ts
    features:
      vec: {type: "vector<float32,4>", quantization: int8}
)";

v1::GetFeaturesRequest Request(std::vector<int64_t> users, std::vector<std::string> refs) {
  v1::GetFeaturesRequest r;
  auto* e = r.add_entities();
  e->set_entity("user");
  for (auto u : users) e->add_int64_keys(u);
  for (auto& f : refs) r.add_features(f);
  return r;
}

v1::Value I64(int64_t v) {
  v1::Value x;
  x.set_int64_value(v);
  return x;
}
v1::Value Str(std::string v) {
  v1::Value x;
  x.set_string_value(std::move(v));
  return x;
}

TEST(ReadPlanTest, RejectsBadRequestsWithTheirReason) {
  TempDir dir;
  auto repo = testing::MakeRepo(dir, kRepo);
  const RepoDefinition& d = repo->definition();
  RequestLimits limits;
  auto err = [&](const v1::GetFeaturesRequest& r) {
    auto p = DecodeGetFeatures(d, r, limits);
    EXPECT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    return p.ok() ? std::string() : p.status().message();
  };
  EXPECT_NE(err(Request({1}, {"nope:age"})).find("no feature group 'nope'"), std::string::npos);
  EXPECT_NE(err(Request({1}, {"profile:nope"})).find("has no feature 'nope'"), std::string::npos);
  EXPECT_NE(err(Request({1}, {"item_vec:vec"})).find("need keys of entity item"), std::string::npos);
  EXPECT_NE(err(Request({1}, {"clicks:item@11"})).find("exceeds the max_length"), std::string::npos);
  EXPECT_NE(err(Request({1}, {"profile:age@2"})).find("@N applies to sequence groups"), std::string::npos);
  EXPECT_NE(err(Request({1}, {})).find("no features"), std::string::npos);
  v1::GetFeaturesRequest wrong_type = Request({}, {"profile:age"});
  wrong_type.mutable_entities(0)->add_string_keys("u1");
  EXPECT_NE(err(wrong_type).find("has int64 keys"), std::string::npos);
  v1::GetFeaturesRequest unknown = Request({1}, {"profile:age"});
  unknown.mutable_entities(0)->set_entity("shop");
  EXPECT_NE(err(unknown).find("unknown entity 'shop'"), std::string::npos);
  v1::GetFeaturesRequest twice = Request({1}, {"profile:age"});
  *twice.add_entities() = twice.entities(0);
  EXPECT_NE(err(twice).find("listed twice"), std::string::npos);
  v1::GetFeaturesRequest bad_log = Request({1}, {"profile:age"});
  bad_log.set_log(static_cast<v1::LogMode>(7));
  EXPECT_NE(err(bad_log).find("unknown log 7"), std::string::npos);
  v1::GetFeaturesRequest long_id = Request({1}, {"profile:age"});
  long_id.set_request_id(std::string(kMaxRequestIdBytes + 1, 'r'));
  EXPECT_NE(err(long_id).find("request_id of 257 bytes"), std::string::npos);
  long_id.set_request_id(std::string(kMaxRequestIdBytes, 'r'));
  EXPECT_TRUE(DecodeGetFeatures(d, long_id, limits).ok());
  limits.max_keys = 3;
  EXPECT_NE(err(Request({1, 2, 3, 4}, {"profile:age"})).find("oversized batch"), std::string::npos);

  auto ok = DecodeGetFeatures(d, Request({1, 2, 3}, {"profile:*", "clicks:item@3"}), limits);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->reads.size(), 2u);
  EXPECT_EQ(ok->reads[0].columns.size(), 4u);
  EXPECT_EQ(ok->reads[1].columns[0].name, "clicks:item@3");
  EXPECT_EQ(ok->reads[1].columns[0].type, "list<int64>");
}

// A repository with a running server on free ports.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::MakeRepo(dir_, kRepo).reset();  // apply, then let the server open it
    ServeOptions o;
    o.repo = dir_.str();
    o.grpc_address = "127.0.0.1:0";
    o.http_address = "127.0.0.1:0";
    o.threads = 4;
    o.server.limits.max_keys = 1000;
    o.server.logger.commit_interval_ms = 100;
    auto s = Server::Start(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
    auto c = Client::Connect("127.0.0.1:" + std::to_string(server_->grpc_port()));
    ASSERT_TRUE(c.ok());
    client_ = std::move(*c);
  }

  void PushProfile(int64_t user, int64_t ts, int64_t age, std::optional<std::string> country) {
    v1::PushRequest p;
    p.set_group("profile");
    auto* row = p.add_rows();
    row->set_int64_key(user);
    row->set_event_time_micros(ts);
    (*row->mutable_features())["age"] = I64(age);
    if (country) (*row->mutable_features())["country"] = Str(*country);
    auto r = client_->Push(p);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // `n` click events of `user` at first, first + 1, ...; items first_item, first_item + 1, ...
  void PushClicks(int64_t user, int64_t first, int n, int64_t first_item) {
    v1::PushRequest p;
    p.set_group("clicks");
    for (int i = 0; i < n; ++i) {
      auto* row = p.add_rows();
      row->set_int64_key(user);
      row->set_event_time_micros(first + i);
      (*row->mutable_features())["item"] = I64(first_item + i);
    }
    auto r = client_->Push(p);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ServerTest, ServesTypedColumnsWithStatusesAndEventTimes) {
  const int64_t now = NowMicros();
  PushProfile(1, now - 1000, 30, "DE");
  PushProfile(2, now - 2 * kMicrosPerDay, 40, "FR");  // older than the 1d ttl
  PushProfile(3, now - 500, 50, std::nullopt);        // country null
  auto r = client_->GetFeatures(Request({1, 2, 3, 4}, {"profile:age", "profile:country"}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->columns_size(), 2);
  const auto& age = r->columns(0);
  EXPECT_EQ(age.name(), "profile:age");
  EXPECT_EQ(age.type(), "int32");
  ASSERT_EQ(age.values().int32_values_size(), 4);
  EXPECT_EQ(age.values().int32_values(0), 30);
  EXPECT_EQ(age.values().int32_values(2), 50);
  EXPECT_EQ(age.statuses(0), v1::PRESENT);
  EXPECT_EQ(age.statuses(1), v1::EXPIRED);
  EXPECT_EQ(age.statuses(2), v1::PRESENT);
  EXPECT_EQ(age.statuses(3), v1::MISSING);
  EXPECT_EQ(age.event_time_micros(0), now - 1000);
  EXPECT_EQ(age.event_time_micros(1), now - 2 * kMicrosPerDay);
  EXPECT_EQ(age.event_time_micros(3), 0);
  const auto& country = r->columns(1);
  EXPECT_EQ(country.values().string_values(0), "DE");
  EXPECT_EQ(country.statuses(2), v1::NULL_VALUE);
  EXPECT_FALSE(r->request_id().empty());

  // As of a time before user 1's row: missing.
  auto before = Request({1}, {"profile:age"});
  before.set_as_of_micros(now - 2000);
  auto b = client_->GetFeatures(before);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->columns(0).statuses(0), v1::MISSING);

  // A response kept from call to call holds the latest answer only, nothing of the one before.
  v1::GetFeaturesResponse kept;
  ASSERT_TRUE(client_->GetFeatures(Request({1, 2, 3, 4}, {"profile:age", "profile:country"}), &kept).ok());
  ASSERT_EQ(kept.columns(1).values().string_values_size(), 4);
  ASSERT_TRUE(client_->GetFeatures(Request({3}, {"profile:age"}), &kept).ok());
  auto fresh = client_->GetFeatures(Request({3}, {"profile:age"}));
  ASSERT_TRUE(fresh.ok());
  kept.clear_request_id(), fresh->clear_request_id();  // and the read times, a moment apart
  kept.clear_as_of_micros(), fresh->clear_as_of_micros();
  EXPECT_EQ(kept.SerializeAsString(), fresh->SerializeAsString());
  EXPECT_EQ(kept.columns_size(), 1);
  EXPECT_EQ(kept.columns(0).values().int32_values_size(), 1);
}

// EVENT_TIMES_PER_GROUP says what EVENT_TIMES_PER_COLUMN says, once per group; NONE leaves the
// times out; the statuses and values are the same in all three, and so is the Arrow form.
TEST_F(ServerTest, EventTimesPerColumnPerGroupOrNone) {
  const int64_t now = NowMicros();
  PushProfile(1, now - 1000, 30, "DE");
  PushProfile(2, now - 2 * kMicrosPerDay, 40, "FR");  // expired: its time is still sent
  PushClicks(1, now - 100, 3, 0);
  const std::vector<std::string> refs = {"profile:age", "profile:country", "profile:ctr", "clicks:item@2"};
  auto per_column = client_->GetFeatures(Request({1, 2, 3}, refs));
  ASSERT_TRUE(per_column.ok()) << per_column.status().ToString();
  EXPECT_EQ(per_column->groups_size(), 0);

  auto request = Request({1, 2, 3}, refs);
  request.set_event_times(v1::EVENT_TIMES_PER_GROUP);
  auto per_group = client_->GetFeatures(request);
  ASSERT_TRUE(per_group.ok()) << per_group.status().ToString();
  ASSERT_EQ(per_group->columns_size(), 4);
  for (int c = 0; c < 4; ++c) {
    EXPECT_EQ(per_group->columns(c).event_time_micros_size(), 0);
    EXPECT_EQ(per_group->columns(c).statuses().size(), 3);
    EXPECT_EQ(per_group->columns(c).values().SerializeAsString(), per_column->columns(c).values().SerializeAsString());
  }
  ASSERT_EQ(per_group->groups_size(), 2);
  EXPECT_EQ(per_group->groups(0).group(), "profile");
  EXPECT_EQ(per_group->groups(0).entity(), "user");
  EXPECT_EQ(per_group->groups(1).group(), "clicks");
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(per_group->groups(0).event_time_micros(k), per_column->columns(0).event_time_micros(k));
    EXPECT_EQ(per_group->groups(1).event_time_micros(k), per_column->columns(3).event_time_micros(k));
  }
  EXPECT_EQ(per_group->groups(0).event_time_micros(1), now - 2 * kMicrosPerDay);
  EXPECT_EQ(per_group->groups(0).event_time_micros(2), 0);  // missing
  EXPECT_EQ(per_group->groups(1).event_time_micros(0), now - 98);  // the newest event

  request.set_event_times(v1::EVENT_TIMES_NONE);
  auto none = client_->GetFeatures(request);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->groups_size(), 0);
  for (int c = 0; c < 4; ++c) {
    EXPECT_EQ(none->columns(c).event_time_micros_size(), 0);
    EXPECT_EQ(none->columns(c).statuses().size(), 3);
  }
  EXPECT_LT(none->ByteSizeLong(), per_group->ByteSizeLong());
  EXPECT_LT(per_group->ByteSizeLong(), per_column->ByteSizeLong());

  // The Arrow form: "<group>#event_time" per group instead of "<column>#event_time".
  auto ipc = EncodeArrowResponse(*per_group);
  ASSERT_TRUE(ipc.ok()) << ipc.status().ToString();
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(std::make_shared<arrow::io::BufferReader>(arrow::Buffer::FromString(*ipc)));
  ASSERT_TRUE(reader.ok());
  std::shared_ptr<arrow::RecordBatch> batch;
  ASSERT_TRUE((*reader)->ReadNext(&batch).ok());
  EXPECT_EQ(batch->schema()->GetFieldIndex("profile:age#event_time"), -1);
  const int profile_times = batch->schema()->GetFieldIndex("profile#event_time");
  ASSERT_GE(profile_times, 0);
  EXPECT_NE(batch->schema()->GetFieldIndex("clicks#event_time"), -1);
  auto times = std::static_pointer_cast<arrow::ListArray>(batch->column(profile_times))->values();
  ASSERT_EQ(times->length(), 3);
  EXPECT_EQ(std::static_pointer_cast<arrow::TimestampArray>(times)->Value(0), now - 1000);
  EXPECT_TRUE(times->IsNull(2));

  request.set_event_times(static_cast<v1::EventTimes>(7));
  auto bad = client_->GetFeatures(request);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown event_times 7"), std::string::npos) << bad.status().ToString();
}

TEST_F(ServerTest, SequencesEmbeddingsAndListsRoundTrip) {
  const int64_t now = NowMicros();
  PushClicks(7, now - 100, 5, 100);
  v1::PushRequest vec;
  vec.set_group("item_vec");
  auto* row = vec.add_rows();
  row->set_string_key("i1");
  row->set_event_time_micros(now - 10);
  for (double x : {0.5, -0.5, 0.5, -0.5}) (*row->mutable_features())["vec"].mutable_double_list()->add_values(x);
  ASSERT_TRUE(client_->Push(vec).ok());
  v1::PushRequest tags;
  tags.set_group("profile");
  row = tags.add_rows();
  row->set_int64_key(7);
  row->set_event_time_micros(now - 10);
  for (auto t : {"a", "b"}) (*row->mutable_features())["tags"].mutable_string_list()->add_values(t);
  ASSERT_TRUE(client_->Push(tags).ok());

  auto all = client_->GetFeatures(Request({7}, {"clicks:item"}));
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->columns(0).name(), "clicks:item@10");
  EXPECT_EQ(all->columns(0).values().list_offsets(1), 5u);
  v1::GetFeaturesRequest req = Request({7, 8}, {"clicks:item@3", "profile:tags", "item_vec:vec"});
  auto* items = req.add_entities();
  items->set_entity("item");
  items->add_string_keys("i1");
  items->add_string_keys("i2");
  auto r = client_->GetFeatures(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->columns_size(), 3);
  const auto& last3 = r->columns(0).values();
  ASSERT_EQ(last3.list_offsets_size(), 3);
  EXPECT_EQ(last3.list_offsets(1), 3u);  // newest first, truncated to 3
  EXPECT_EQ(last3.list_offsets(2), 3u);  // user 8: none
  EXPECT_EQ(last3.int64_values(0), 104);
  EXPECT_EQ(last3.int64_values(2), 102);
  EXPECT_EQ(r->columns(0).event_time_micros(0), now - 96);
  EXPECT_EQ(r->columns(1).values().string_values_size(), 2);
  EXPECT_EQ(r->columns(1).values().string_values(1), "b");
  const auto& v = r->columns(2);
  EXPECT_EQ(v.entity(), "item");
  EXPECT_EQ(v.values().dimension(), 4u);
  ASSERT_EQ(v.values().float_values_size(), 8);
  EXPECT_NEAR(v.values().float_values(0), 0.5, 0.01);
  EXPECT_NEAR(v.values().float_values(1), -0.5, 0.01);
  EXPECT_EQ(v.values().float_values(4), 0.0f);
  EXPECT_EQ(v.statuses(1), v1::MISSING);
}

TEST_F(ServerTest, BadRequestsGetInvalidArgumentAndWriteNothing) {
  auto bad = client_->GetFeatures(Request({1}, {"profile:nope"}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("no feature 'nope'"), std::string::npos);

  std::vector<int64_t> many(1001, 1);
  auto big = client_->GetFeatures(Request(many, {"profile:age"}));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("oversized batch"), std::string::npos);

  // One bad row refuses the whole push.
  v1::PushRequest p;
  p.set_group("profile");
  auto* good = p.add_rows();
  good->set_int64_key(9);
  good->set_event_time_micros(NowMicros());
  (*good->mutable_features())["age"] = I64(1);
  auto* wrong = p.add_rows();
  wrong->set_int64_key(10);
  wrong->set_event_time_micros(NowMicros());
  (*wrong->mutable_features())["age"] = I64(int64_t{1} << 40);
  auto pushed = client_->Push(p);
  ASSERT_FALSE(pushed.ok());
  EXPECT_EQ(pushed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(pushed.status().message().find("row 1"), std::string::npos);
  EXPECT_NE(pushed.status().message().find("out of range for int32"), std::string::npos);
  auto r = client_->GetFeatures(Request({9}, {"profile:age"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->columns(0).statuses(0), v1::MISSING);

  v1::PushRequest unknown;
  unknown.set_group("nope");
  unknown.add_rows()->set_int64_key(1);
  EXPECT_EQ(client_->Push(unknown).status().code(), StatusCode::kInvalidArgument);
  v1::PushRequest string_key;
  string_key.set_group("profile");
  string_key.add_rows()->set_string_key("x");
  EXPECT_NE(client_->Push(string_key).status().message().find("needs an int64_key"), std::string::npos);
}

TEST_F(ServerTest, HttpJsonHealthAndMetrics) {
  PushProfile(1, NowMicros() - 10, 33, "US");
  httplib::Client http("127.0.0.1", server_->http_port());
  auto res = http.Post("/v1/features",
                       R"({"entities": [{"entity": "user", "int64_keys": [1, 2]}], "features": ["profile:age"]})",
                       "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  v1::GetFeaturesResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(res->body, &parsed).ok()) << res->body;
  EXPECT_EQ(parsed.columns(0).values().int32_values(0), 33);
  EXPECT_EQ(parsed.columns(0).statuses(1), v1::MISSING);

  res = http.Post("/v1/features", R"({"entities": [{"entity": "user", )", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("malformed request body"), std::string::npos);
  res = http.Post("/v1/features", R"({"entities": [{"entity": "user", "int64_keys": [1]}], "features": ["x:y"]})",
                  "application/json");
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("no feature group 'x'"), std::string::npos);
  res = http.Post("/v1/features", R"({"entities": [{"entity": "user", "string_keys": ["u1"]}], "features": ["profile:age"]})",
                  "application/json");
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("has int64 keys"), std::string::npos) << res->body;
  // httplib's own errors answer in the same JSON.
  res = http.Get("/v1/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_NE(res->body.find("{\"error\": \"no such endpoint: GET /v1/nope"), std::string::npos) << res->body;
  res = http.Post("/v1/push",
                  R"({"group": "profile", "rows": [{"int64_key": "5", "event_time_micros": "1700000000000000",
                      "features": {"country": {"string_value": "NL"}}}]})",
                  "application/json");
  EXPECT_EQ(res->status, 200) << res->body;

  res = http.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = http.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("strata_requests_total{method=\"GetFeatures\",transport=\"http\",outcome=\"ok\"} 1"),
            std::string::npos)
      << res->body;
  EXPECT_NE(res->body.find("outcome=\"invalid_argument\"} 3"), std::string::npos);
  EXPECT_NE(res->body.find("strata_request_duration_seconds_bucket{method=\"GetFeatures\",transport=\"http\",le=\"+Inf\"} 4"),
            std::string::npos);
  EXPECT_NE(res->body.find("strata_keys_served_total 2"), std::string::npos);
  EXPECT_NE(res->body.find("strata_online_cache_hit_ratio"), std::string::npos);
  EXPECT_NE(res->body.find("strata_feature_log_dropped_total 0"), std::string::npos);
  EXPECT_NE(res->body.find("strata_pushed_rows_total 2"), std::string::npos);
}

TEST_F(ServerTest, GrpcHealthServiceAnswersServing) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  // HealthCheckRequest{service: name}: "" (the server) encodes as no bytes, a name as field 1.
  auto check = [&](const std::string& service, std::string* answer) {
    const std::string encoded = service.empty() ? "" : "\x0a" + std::string(1, static_cast<char>(service.size())) + service;
    grpc::ClientContext ctx;
    grpc::Slice slice(encoded.data(), encoded.size());
    grpc::ByteBuffer request(&slice, 1), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                   [&](grpc::Status s) { done.set_value(s); });
    grpc::Status s = done.get_future().get();
    std::vector<grpc::Slice> slices;
    if (s.ok() && response.Dump(&slices).ok())
      for (auto& sl : slices) answer->append(reinterpret_cast<const char*>(sl.begin()), sl.size());
    return s;
  };
  for (const std::string service : {"", "strata.v1.FeatureService"}) {
    std::string answer;
    grpc::Status s = check(service, &answer);
    ASSERT_TRUE(s.ok()) << "'" << service << "': " << s.error_message();
    EXPECT_EQ(answer, std::string("\x08\x01", 2)) << service;  // status: SERVING
  }
  std::string answer;
  EXPECT_EQ(check("strata.v1.Nope", &answer).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, FeatureLogHoldsEveryServedValueByRequestId) {
  const int64_t now = NowMicros();
  PushProfile(1, now - 10, 21, "SE");
  auto req = Request({1, 2}, {"profile:age", "profile:country"});
  req.set_request_id("req-42");
  req.set_log(v1::LOG_ON);
  ASSERT_TRUE(client_->GetFeatures(req).ok());
  auto not_logged = Request({1}, {"profile:age"});
  not_logged.set_request_id("req-43");  // logging is off by default
  ASSERT_TRUE(client_->GetFeatures(not_logged).ok());
  ASSERT_TRUE(server_->core().logger()->Flush().ok());
  EXPECT_EQ(server_->core().logger()->rows_written(), 2u);

  GroupScanOptions options;
  auto scan = ScanGroup(server_->core().repository(), FeatureLogGroup(), options);
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  ASSERT_TRUE(scan->scan);
  auto table = ReadSorted(*scan->scan);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto t = (*table)->CombineChunks().ValueOrDie();
  ASSERT_EQ(t->num_rows(), 2);
  auto col = [&](const char* name) { return t->GetColumnByName(name)->chunk(0); };
  std::map<std::string, std::string> by_key;
  for (int64_t i = 0; i < 2; ++i) {
    EXPECT_EQ(std::get<std::string>(testing::Cell(*col("request_id"), i)), "req-42");
    by_key[std::get<std::string>(testing::Cell(*col("entity_key"), i))] =
        std::get<std::string>(testing::Cell(*col("features"), i));
  }
  EXPECT_EQ(by_key["1"], R"({"profile:age":21,"profile:country":"SE"})");
  EXPECT_EQ(by_key["2"], R"({"profile:age":null,"profile:country":null})");
}

TEST_F(ServerTest, ConcurrentReadsAndPushesSeeWholeRows) {
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&] {
      while (!stop) {
        auto r = client_->GetFeatures(Request({1, 2, 3}, {"profile:age", "profile:country"}));
        if (!r.ok()) {
          ++failures;
          continue;
        }
        // Each push writes age=i and country=str(i) in one row: a read never mixes two rows.
        for (int k = 0; k < 3; ++k)
          if (r->columns(0).statuses(k) == v1::PRESENT &&
              std::to_string(r->columns(0).values().int32_values(k)) != r->columns(1).values().string_values(k))
            ++failures;
      }
    });
  const int64_t base = NowMicros() - 100'000;
  for (int i = 0; i < 50; ++i)
    for (int64_t user : {1, 2, 3}) PushProfile(user, base + i, i, std::to_string(i));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(ServerTest, ShutdownFinishesInFlightRequestsAndFlushesTheLog) {
  PushProfile(1, NowMicros() - 10, 5, "NO");
  auto req = Request({1}, {"profile:age"});
  req.set_log(v1::LOG_ON);
  std::vector<std::future<bool>> calls;
  for (int i = 0; i < 20; ++i)
    calls.push_back(std::async(std::launch::async, [&] { return client_->GetFeatures(req).ok(); }));
  for (auto& c : calls) EXPECT_TRUE(c.get());
  ASSERT_TRUE(server_->Shutdown(std::chrono::seconds(5)).ok());
  EXPECT_EQ(server_->core().logger()->rows_written(), 20u);
  EXPECT_FALSE(client_->GetFeatures(req).ok());  // nothing listens any more
}

TEST(FeatureLoggerTest, DropsAndCountsWhenTheQueueIsFull) {
  TempDir dir;
  auto repo = testing::MakeRepo(dir, kRepo);
  FeatureLoggerOptions o;
  o.max_pending_records = 0;
  auto logger = FeatureLogger::Start(repo->offline_options(), o);
  ASSERT_TRUE(logger.ok()) << logger.status().ToString();
  for (int i = 0; i < 5; ++i) (*logger)->Log(LogRecord{"r", 1, {}, {}});
  EXPECT_EQ((*logger)->dropped(), 5u);
  ASSERT_TRUE((*logger)->Stop().ok());
  EXPECT_EQ((*logger)->rows_written(), 0u);
}

TEST(FeatureLoggerTest, DropsWhenTheQueuedColumnsWouldHoldTooMuchMemory) {
  TempDir dir;
  auto repo = testing::MakeRepo(dir, kRepo);
  FeatureLoggerOptions o;
  o.max_pending_bytes = 64 << 10;
  o.commit_interval_ms = 60'000;
  auto logger = FeatureLogger::Start(repo->offline_options(), o);
  ASSERT_TRUE(logger.ok()) << logger.status().ToString();
  arrow::Int32Builder b;
  ASSERT_TRUE(b.AppendEmptyValues(100'000).ok());  // ~400 KB: over the bound on its own
  std::shared_ptr<arrow::Array> big = b.Finish().ValueOrDie();
  (*logger)->Log(LogRecord{"big", 1, {{"user", {int64_t{1}}}}, {{"profile:age", 0, big, 0}}});
  EXPECT_EQ((*logger)->dropped(), 1u);
  EXPECT_EQ((*logger)->pending_bytes(), 0);
  arrow::Int32Builder s;
  ASSERT_TRUE(s.Append(7).ok());
  std::shared_ptr<arrow::Array> small = s.Finish().ValueOrDie();
  (*logger)->Log(LogRecord{"small", 1, {{"user", {int64_t{1}}}}, {{"profile:age", 0, small, 0}}});
  ASSERT_TRUE((*logger)->Flush().ok());
  EXPECT_EQ((*logger)->dropped(), 1u);
  EXPECT_EQ((*logger)->pending_bytes(), 0);
  ASSERT_TRUE((*logger)->Stop().ok());
  EXPECT_EQ((*logger)->rows_written(), 1u);
}

}  // namespace
}  // namespace strata::serving

namespace strata::serving {
namespace {

TEST(FeatureLoggerTest, ManyThreadsLogWhileItFlushesAndEveryRowLands) {
  testing::TempDir dir;
  auto repo = testing::MakeRepo(dir, kRepo);
  FeatureLoggerOptions o;
  o.commit_interval_ms = 20;
  o.commit_rows = 500;
  auto logger = FeatureLogger::Start(repo->offline_options(), o);
  ASSERT_TRUE(logger.ok()) << logger.status().ToString();
  arrow::Int32Builder b;
  ASSERT_TRUE(b.Append(1).ok() && b.AppendNull().ok() && b.Append(3).ok());
  std::shared_ptr<arrow::Array> ages = b.Finish().ValueOrDie();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        LogRecord r{"t" + std::to_string(t) + "-" + std::to_string(i), NowMicros(),
                    {{"user", {int64_t{1}, int64_t{2}, int64_t{3}}}}, {{"profile:age", 0, ages, 0}}};
        (*logger)->Log(std::move(r));
        if (i % 25 == 0) {
          EXPECT_TRUE((*logger)->Flush().ok());
        }
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_TRUE((*logger)->Stop().ok());
  EXPECT_EQ((*logger)->dropped(), 0u);
  EXPECT_EQ((*logger)->rows_written(), 4u * 100 * 3);
  auto scan = ScanGroup(*repo, FeatureLogGroup(), {});
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  auto table = ReadSorted(*scan->scan);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ((*table)->num_rows(), 1200);
}

}  // namespace
}  // namespace strata::serving
