#include "strata/core/repo_yaml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace strata {
namespace {

using ::testing::HasSubstr;

constexpr char kIssueExample[] = R"(project: demo
online: {backend: rocksdb, path: .strata/online}
offline: {warehouse: .strata/warehouse}
entities:
  user: {key: user_id, type: int64}
  item: {key: item_id, type: string}
feature_groups:
  user_profile:
    entity: user
    kind: table
    event_time: ts
    ttl: 30d
    features: {age: int32, country: string, ctr_7d: float32}
  user_clicks:
    entity: user
    kind: sequence
    event_time: ts
    max_length: 200
    retention: 90d
    features: {item_id: int64, dwell_ms: int32}
  item_embedding:
    entity: item
    event_time: ts
    history: 1d
    features:
      vec: {type: "vector<float32,64>", quantization: int8}
)";

TEST(RepoYamlTest, ParsesTheIssueExample) {
  auto r = ParseRepoYaml(kIssueExample, "strata.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->project, "demo");
  ASSERT_EQ(r->groups.size(), 3u);
  const auto* p = r->FindGroup("user_profile");
  EXPECT_EQ(*p->ttl, 30 * kMicrosPerDay);
  EXPECT_EQ(p->history, kDefaultHistoryMicros);
  ASSERT_EQ(p->features.size(), 3u);
  EXPECT_EQ(p->features[0].name, "age");  // declaration order is kept
  EXPECT_EQ(p->features[2].type.id, TypeId::kFloat32);
  const auto* c = r->FindGroup("user_clicks");
  EXPECT_EQ(c->kind, GroupKind::kSequence);
  EXPECT_EQ(c->max_length, 200);
  EXPECT_EQ(*c->retention, 90 * kMicrosPerDay);
  const auto* e = r->FindGroup("item_embedding");
  EXPECT_EQ(e->features[0].type.dim, 64);
  EXPECT_EQ(e->features[0].type.quantization, Quantization::kInt8);
  EXPECT_EQ(e->history, kMicrosPerDay);
  EXPECT_EQ(r->FindEntity("item")->key_type, KeyType::kString);
}

TEST(RepoYamlTest, TemplatesParse) {
  for (bool example : {false, true}) {
    auto r = ParseRepoYaml(RepoYamlTemplate("p", example), "strata.yaml");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(ParseRepoYaml(RepoYamlTemplate("p", true), "x")->groups.size(), 4u);
}

struct BadCase {
  std::string yaml;
  std::string expect;  // substring of the error
};

TEST(RepoYamlTest, ErrorsNameLineKeyAndExpectation) {
  const std::string head = "project: p\nentities:\n  user: {key: user_id}\nfeature_groups:\n  g:\n    entity: user\n";
  std::vector<BadCase> cases = {
      {head + "    ttl: abc\n    features: {a: int32}\n", "strata.yaml:7: feature_groups.g.ttl: expected a duration"},
      {head + "    features: {a: int128}\n", "strata.yaml:7: feature_groups.g.features.a: unknown type 'int128'"},
      {head + "    colour: red\n    features: {a: int32}\n", "strata.yaml:7: feature_groups.g.colour: unknown key"},
      {head + "    kind: sequence\n    features: {a: int32}\n", "needs max_length"},
      {head + "    kind: stream\n    features: {a: int32}\n", "expected table or sequence"},
      {head + "    features: {}\n", "feature_groups.g.features: expected a non-empty mapping"},
      {head + "    features: {user_id: int32}\n", "cannot be named like the entity key"},
      {head + "    features: {a: {type: int32, quantization: int8}}\n", "quantization applies only to vector"},
      {head + "    ttl: 1d\n    kind: sequence\n    max_length: 3\n    features: {a: int32}\n", "a sequence group uses retention"},
      {"project: p\nentities:\n  user: {key: user_id, type: uuid}\n", "strata.yaml:3: entities.user.type: expected int64 or string"},
      {"project: p\nentities:\n  user: {key: user_id}\nfeature_groups:\n  g:\n    entity: item\n    features: {a: int32}\n",
       "strata.yaml:6: feature_groups.g.entity: unknown entity 'item'"},
      {"project: p\nentities: [\n", "YAML syntax error"},
      {"entities:\n  user: {key: user_id}\n", "missing key 'project'"},
      {"project: p\nonline: {backend: cassandra}\nentities:\n  user: {key: u}\n", "online.backend: expected rocksdb"},
  };
  for (const auto& c : cases) {
    auto r = ParseRepoYaml(c.yaml, "strata.yaml");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_THAT(r.status().message(), HasSubstr(c.expect)) << c.yaml;
  }
}

}  // namespace
}  // namespace strata
