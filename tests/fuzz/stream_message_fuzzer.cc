// libFuzzer target: the decoding of streamed messages (Kafka values) into feature rows, JSON and
// Avro. Any bytes — truncated JSON or Avro, invalid UTF-8, huge numbers or lengths, wrong types,
// deep nesting — must decode
// to a valid row of the group or to a rejection with a reason; never crash, hang or leak.
// `make fuzz` runs it under libFuzzer (clang, ASan+UBSan); ctest under GCC with fuzz_driver.cc.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "strata/core/repo_yaml.h"
#include "strata/core/schema_evolution.h"
#include "strata/ingest/avro_row_decoder.h"
#include "strata/ingest/json_row_decoder.h"

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

struct Decoders {
  strata::RepoDefinition def;
  std::vector<strata::JsonRowDecoder> decoders;
  std::unique_ptr<strata::AvroRowDecoder> avro;
};

Decoders& Get() {
  static Decoders* d = [] {
    auto parsed = strata::ParseRepoYaml(kRepo, "fuzz.yaml");
    if (!parsed.ok()) __builtin_trap();
    auto plan = strata::PlanApply(nullptr, *parsed);
    if (!plan.ok()) __builtin_trap();
    auto* out = new Decoders{plan->result, {}};
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
  strata::FeatureRow row;
  std::string reason;
  const bool ok = d.avro->Decode(text, &row, &reason);
  if (ok && (std::holds_alternative<std::monostate>(row.key) || row.features.size() != d.def.FindGroup("profile")->features.size()))
    __builtin_trap();
  if (!ok && reason.empty()) __builtin_trap();
  return 0;
}
