// libFuzzer target: the decoding of streamed messages (Kafka values) into feature rows, JSON,
// Avro and Protobuf. Any bytes — truncated JSON, Avro or Protobuf, invalid UTF-8, huge numbers or
// lengths, wrong types, deep nesting — must decode
// to a valid row of the group or to a rejection with a reason; never crash, hang or leak.
// `make fuzz` runs it under libFuzzer (clang, ASan+UBSan); ctest under GCC with fuzz_driver.cc.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <variant>

#include "strata/core/repo_yaml.h"
#include "strata/core/schema_evolution.h"
#include "strata/ingest/avro_row_decoder.h"
#include "strata/ingest/json_row_decoder.h"
#include "strata/ingest/protobuf_row_decoder.h"

namespace {

constexpr char kRepo[] = R"(project: fuzz
entities:
  user: {key: user_id, type: int64}
  item: {key: item_id, type: string}
feature_groups:
  profile:
    entity: user
    features: {age: int32, country: string, ctr: float32, score: float64, flag: bool, blob: bytes,
               seen: timestamp, tags: list<string>, ids: list<int64>, weights: list<float32>}
  clicks:
    entity: user
    kind: sequence
    max_length: 20
    features: {item: int64, dwell: int32}
  item_vec:
    entity: item
    features:
      vec: {type: "vector<float32,4>", quantization: int8}
)";

// The writer schema of an Avro topic feeding `profile`: every kind of field it reads.
constexpr char kProfileSchema[] = R"({"type": "record", "name": "P", "fields": [
  {"name": "user_id", "type": "long"}, {"name": "ts", "type": ["null", "long", "string"]},
  {"name": "age", "type": ["null", "int"]}, {"name": "country", "type": "string"}, {"name": "ctr", "type": "float"},
  {"name": "score", "type": "double"}, {"name": "flag", "type": "boolean"}, {"name": "blob", "type": "bytes"},
  {"name": "seen", "type": "long"}, {"name": "tags", "type": {"type": "array", "items": "string"}},
  {"name": "ids", "type": {"type": "array", "items": "long"}},
  {"name": "weights", "type": {"type": "array", "items": "float"}},
  {"name": "extra", "type": {"type": "map", "values": {"type": "enum", "name": "E", "symbols": ["A", "B"]}}}
]})";

// The .proto of a Protobuf topic feeding `profile`: scalars, presence, well-known types, an
// enum, repeated and map fields, nesting, recursion.
constexpr char kProfileProto[] = R"(syntax = "proto3";
package fuzz;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
enum E { A = 0; B = 1; }
message P {
  int64 user_id = 1;
  google.protobuf.Timestamp ts = 2;
  optional int32 age = 3;
  string country = 4;
  float ctr = 5;
  double score = 6;
  google.protobuf.BoolValue flag = 7;
  bytes blob = 8;
  uint64 seen = 9;
  repeated string tags = 10;
  repeated sint64 ids = 11;
  repeated float weights = 12;
  map<string, E> extra = 13;
  P child = 14;
  oneof choice { string s = 15; fixed64 f = 16; }
}
)";

struct Decoders {
  strata::RepoDefinition def;
  std::vector<strata::JsonRowDecoder> decoders;
  std::unique_ptr<strata::AvroRowDecoder> avro;
  std::unique_ptr<strata::ProtobufRowDecoder> proto;
  std::unique_ptr<strata::ProtobufRowDecoder> proto_framed;
};

// The .proto written to a temporary folder (the decoder compiles files).
std::string WriteProto() {
  char dir[] = "/tmp/strata-fuzz-proto-XXXXXX";
  if (!mkdtemp(dir)) __builtin_trap();
  const std::string path = std::string(dir) + "/p.proto";
  std::ofstream(path) << kProfileProto;
  return path;
}

Decoders& Get() {
  static Decoders* d = [] {
    auto parsed = strata::ParseRepoYaml(kRepo, "fuzz.yaml");
    if (!parsed.ok()) __builtin_trap();
    auto plan = strata::PlanApply(nullptr, *parsed);
    if (!plan.ok()) __builtin_trap();
    auto* out = new Decoders;
    out->def = plan->result;
    for (const auto& g : out->def.groups) out->decoders.emplace_back(*out->def.FindEntity(g.entity), g);
    // One with renamed fields, as a topic's `fields:` mapping makes.
    const auto& clicks = *out->def.FindGroup("clicks");
    out->decoders.emplace_back(*out->def.FindEntity("user"), clicks,
                               std::map<std::string, std::string>{{"user_id", "uid"}, {"ts", "time"}});
    const auto& profile = *out->def.FindGroup("profile");
    auto avro = strata::AvroRowDecoder::Make(
        kProfileSchema, false, std::make_unique<strata::JsonRowDecoder>(*out->def.FindEntity("user"), profile));
    if (!avro.ok()) __builtin_trap();
    out->avro = std::move(*avro);
    const std::string proto = WriteProto();
    for (bool framed : {false, true}) {
      auto p = strata::ProtobufRowDecoder::Make(
          proto, "fuzz.P", framed, std::make_unique<strata::JsonRowDecoder>(*out->def.FindEntity("user"), profile));
      if (!p.ok()) __builtin_trap();
      (framed ? out->proto_framed : out->proto) = std::move(*p);
    }
    return out;
  }();
  return *d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Decoders& d = Get();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (size_t i = 0; i < d.decoders.size(); ++i) {
    strata::FeatureRow row;
    std::string reason;
    const bool ok = d.decoders[i].Decode(text, &row, &reason);
    const auto& group = d.def.groups[i < d.def.groups.size() ? i : 1];
    // Accepted: a key, and one value (or null) per feature. Rejected: a reason.
    if (ok && (std::holds_alternative<std::monostate>(row.key) || row.features.size() != group.features.size())) __builtin_trap();
    if (!ok && reason.empty()) __builtin_trap();
  }
  for (strata::MessageDecoder* decoder : {static_cast<strata::MessageDecoder*>(d.avro.get()),
                                          static_cast<strata::MessageDecoder*>(d.proto.get()),
                                          static_cast<strata::MessageDecoder*>(d.proto_framed.get())}) {
    strata::FeatureRow row;
    std::string reason;
    const bool ok = decoder->Decode(text, &row, &reason);
    if (ok && (std::holds_alternative<std::monostate>(row.key) ||
               row.features.size() != d.def.FindGroup("profile")->features.size()))
      __builtin_trap();
    if (!ok && reason.empty()) __builtin_trap();
  }
  return 0;
}
