#include "strata/core/schema_evolution.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "strata/core/definitions_json.h"
#include "strata/core/repo_yaml.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

RepoDefinition Parse(const std::string& groups) {
  auto r = ParseRepoYaml("project: p\nentities:\n  user: {key: user_id}\n  item: {key: item_id}\nfeature_groups:\n" + groups, "t");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return *r;
}

const std::string kV1 = "  g:\n    entity: user\n    ttl: 1d\n    features: {a: int32, b: float32, c: string}\n";

RepoDefinition Registered() {
  auto plan = PlanApply(nullptr, Parse(kV1));
  EXPECT_TRUE(plan.ok());
  // The registry round-trips through its JSON form.
  auto back = DefinitionFromJson(DefinitionToJson(plan->result));
  EXPECT_TRUE(back.ok());
  return *back;
}

TEST(SchemaEvolutionTest, FirstApplyAssignsIds) {
  auto plan = PlanApply(nullptr, Parse(kV1));
  ASSERT_TRUE(plan.ok());
  const auto& g = plan->result.groups[0];
  EXPECT_EQ(g.id, 1u);
  EXPECT_EQ(g.features[0].id, 1u);
  EXPECT_EQ(g.features[2].id, 3u);
  EXPECT_THAT(plan->changes[0], HasSubstr("add entity"));
}

TEST(SchemaEvolutionTest, AddDropWidenAndTtlChange) {
  const RepoDefinition old = Registered();
  auto plan = PlanApply(&old, Parse("  g:\n    entity: user\n    ttl: 2d\n    features: {a: int64, b: float64, d: bool}\n"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const auto& g = plan->result.groups[0];
  EXPECT_EQ(g.FindFeature("a")->id, 1u);
  EXPECT_EQ(g.FindFeature("d")->id, 4u);  // c's id 3 is retired, never reused
  std::string all;
  for (const auto& c : plan->changes) all += c + "\n";
  EXPECT_THAT(all, HasSubstr("widen g.a: int32 -> int64"));
  EXPECT_THAT(all, HasSubstr("widen g.b: float32 -> float64"));
  EXPECT_THAT(all, HasSubstr("add feature g.d bool"));
  EXPECT_THAT(all, HasSubstr("drop feature g.c"));
  EXPECT_THAT(all, HasSubstr("change ttl of g: 1d -> 2d"));
  // Re-adding a dropped feature gives it a new id.
  auto again = PlanApply(&plan->result, Parse("  g:\n    entity: user\n    ttl: 2d\n    features: {a: int64, b: float64, d: bool, c: string}\n"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->result.groups[0].FindFeature("c")->id, 5u);
}

TEST(SchemaEvolutionTest, NoChangesIsEmptyPlan) {
  const RepoDefinition old = Registered();
  auto plan = PlanApply(&old, Parse(kV1));
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->changes.empty());
}

TEST(SchemaEvolutionTest, RefusesIncompatibleChangesNamingGroupFeatureAndRule) {
  const RepoDefinition old = Registered();
  struct Case { std::string groups; std::string expect; };
  std::vector<Case> cases = {
      {"  g:\n    entity: user\n    ttl: 1d\n    features: {a: int32, b: float32, c: int64}\n",
       "group g, feature c: type string -> int64 is not allowed (rule: only int32->int64"},
      {"  g:\n    entity: user\n    features: {a: bool, b: float32, c: string}\n", "group g, feature a: type int32 -> bool"},
      {"  g:\n    entity: item\n    features: {a: int32, b: float32, c: string}\n", "group g: entity user -> item is not allowed"},
      {"  g:\n    entity: user\n    kind: sequence\n    max_length: 5\n    features: {a: int32, b: float32, c: string}\n",
       "group g: kind table -> sequence is not allowed"},
  };
  for (const auto& c : cases) {
    auto plan = PlanApply(&old, Parse(c.groups));
    ASSERT_FALSE(plan.ok()) << c.groups;
    EXPECT_EQ(plan.status().code(), StatusCode::kIncompatible);
    EXPECT_THAT(plan.status().message(), HasSubstr(c.expect));
    EXPECT_THAT(plan.status().message(), HasSubstr("nothing was changed"));
  }
  // Narrowing after a widening is refused too.
  auto wide = PlanApply(&old, Parse("  g:\n    entity: user\n    ttl: 1d\n    features: {a: int64, b: float32, c: string}\n"));
  ASSERT_TRUE(wide.ok());
  auto narrow = PlanApply(&wide->result, Parse(kV1));
  ASSERT_FALSE(narrow.ok());
  EXPECT_THAT(narrow.status().message(), HasSubstr("int64 -> int32"));
}

TEST(SchemaEvolutionTest, StoreSettingChangesArePlanned) {
  const RepoDefinition old = Registered();
  auto r = ParseRepoYaml("project: p\nonline: {sync: false, row_cache_mb: 64}\nentities:\n  user: {key: user_id}\n"
                         "  item: {key: item_id}\nfeature_groups:\n" + kV1, "t");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->online.row_cache_mb, 64);
  EXPECT_EQ(r->online.block_cache_mb, 512);
  auto plan = PlanApply(&old, *r);
  ASSERT_TRUE(plan.ok());
  std::string all;
  for (const auto& c : plan->changes) all += c + "\n";
  EXPECT_THAT(all, HasSubstr("change online.sync: true -> false"));
  EXPECT_THAT(all, HasSubstr("change online.row_cache_mb: 256 -> 64"));
  auto back = DefinitionFromJson(DefinitionToJson(plan->result));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->online, r->online);
  EXPECT_FALSE(ParseRepoYaml("project: p\nonline: {row_cache_mb: lots}\nentities:\n  user: {key: u}\n", "t").ok());
}

TEST(SchemaEvolutionTest, EntityKeyChangeIsRefused) {
  const RepoDefinition old = Registered();
  auto r = ParseRepoYaml("project: p\nentities:\n  user: {key: uid}\n  item: {key: item_id}\nfeature_groups:\n" + kV1, "t");
  ASSERT_TRUE(r.ok());
  auto plan = PlanApply(&old, *r);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("entity user: key user_id int64 -> uid int64 is not allowed"));
}

}  // namespace
}  // namespace strata
