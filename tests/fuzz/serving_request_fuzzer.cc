// libFuzzer target: the feature server's request decoding. Any bytes, taken as a binary
// GetFeaturesRequest / PushRequest or as their JSON form (the HTTP API), must decode to a plan or
// to an InvalidArgument, never crash, hang or leak. `make fuzz` runs it under libFuzzer (clang,
// ASan+UBSan); ctest runs it under GCC with a mutation driver (fuzz_driver.cc).

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "strata/core/repo_yaml.h"
#include "strata/core/schema_evolution.h"
#include "strata/serving/push_decoding.h"
#include "strata/serving/read_plan.h"

namespace {

constexpr char kRepo[] = R"(project: fuzz
entities:
  user: {key: user_id, type: int64}
  item: {key: item_id, type: string}
feature_groups:
  profile:
    entity: user
    ttl: 1d
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
      vec: {type: "vector<float32,8>", quantization: int8}
)";

const strata::RepoDefinition& Definition() {
  static const strata::RepoDefinition def = [] {
    google::protobuf::SetLogHandler(nullptr);  // parse errors of garbage are expected, not news
    auto parsed = strata::ParseRepoYaml(kRepo, "fuzz.yaml");
    if (!parsed.ok()) __builtin_trap();
    auto plan = strata::PlanApply(nullptr, *parsed);
    if (!plan.ok()) __builtin_trap();
    return plan->result;
  }();
  return def;
}

void Check(const strata::Status& st) {
  // Decoding may only fail with InvalidArgument: anything else means a bug in the decoder.
  if (!st.ok() && st.code() != strata::StatusCode::kInvalidArgument) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  const RepoDefinition& def = Definition();
  serving::RequestLimits limits;
  limits.max_keys = 1000;
  const std::string text(reinterpret_cast<const char*>(data), size);

  v1::GetFeaturesRequest get;
  if (get.ParseFromString(text)) Check(serving::DecodeGetFeatures(def, get, limits).status());
  get.Clear();
  if (google::protobuf::util::JsonStringToMessage(text, &get).ok())
    Check(serving::DecodeGetFeatures(def, get, limits).status());

  v1::PushRequest push;
  if (push.ParseFromString(text)) Check(serving::DecodePush(def, push, 1000).status());
  push.Clear();
  if (google::protobuf::util::JsonStringToMessage(text, &push).ok()) Check(serving::DecodePush(def, push, 1000).status());
  return 0;
}
