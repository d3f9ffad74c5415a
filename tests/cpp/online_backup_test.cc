// Online backups: a checkpoint restores, and the restored store catches up from the offline
// tables with every row written after the backup.

#include <gtest/gtest.h>

#include <filesystem>

#include "strata/core/time.h"
#include "strata/store/online_backup.h"
#include "test_repo.h"

namespace strata {
namespace {

using testing::Cell;
using testing::MakeRepo;
using testing::Row;
using testing::TempDir;

constexpr const char* kDefs = R"(entities:
  user: {key: user_id, type: int64}
feature_groups:
  profile:
    entity: user
    event_time: ts
    features: {age: int64}
  clicks:
    entity: user
    kind: sequence
    event_time: ts
    max_length: 10
    features: {item: int64}
)";

int64_t Now() { return testing::RecentMicros(); }

Value Age(FeatureRepository& repo, int64_t user) {
  const auto& g = **repo.FindGroup("profile");
  auto cols = repo.Read(g, std::vector<Value>{user}, {&g.features[0]}, Now() + 1);
  EXPECT_TRUE(cols.ok()) << cols.status().ToString();
  return Cell(*(*cols)[0], 0);
}

TEST(OnlineBackup, RestoreReplaysWhatWasWrittenAfterTheBackup) {
  TempDir dir, backups;
  const std::string backup = (backups.path() / "b1").string();
  {
    auto repo = MakeRepo(dir, kDefs);
    const auto& profile = **repo->FindGroup("profile");
    const auto& clicks = **repo->FindGroup("clicks");
    ASSERT_TRUE(repo->Write(profile, std::vector<FeatureRow>{Row(int64_t{1}, Now(), {int64_t{30}}), Row(int64_t{2}, Now(), {int64_t{40}})}).ok());
    ASSERT_TRUE(repo->Write(clicks, std::vector<FeatureRow>{Row(int64_t{1}, Now(), {int64_t{100}})}).ok());
    auto info = BackupOnlineStore(*repo, backup);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->last_write_seq, 3u);
    EXPECT_EQ(info->project, "test");
    // After the backup: an update, a new key, a new event.
    ASSERT_TRUE(repo->Write(profile, std::vector<FeatureRow>{Row(int64_t{1}, Now() + 1, {int64_t{31}}), Row(int64_t{3}, Now(), {int64_t{50}})}).ok());
    ASSERT_TRUE(repo->Write(clicks, std::vector<FeatureRow>{Row(int64_t{1}, Now() + 1, {int64_t{101}})}).ok());
    // A second backup into a non-empty directory is refused.
    EXPECT_EQ(BackupOnlineStore(*repo, backup).status().code(), StatusCode::kAlreadyExists);
    // The repository is in use: a restore is refused and changes nothing.
    auto refused = RestoreOnlineStore(dir.str(), backup);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("stop `strata serve`"), std::string::npos) << refused.status().message();
    EXPECT_EQ(Age(*repo, 1), Value(int64_t{31}));
  }
  auto restored = RestoreOnlineStore(dir.str(), backup);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->replayed_rows, 3u);
  EXPECT_EQ(restored->last_write_seq, 6u);
  EXPECT_TRUE(std::filesystem::is_directory(restored->replaced_dir));
  auto repo = FeatureRepository::Open(dir.str());
  ASSERT_TRUE(repo.ok());
  EXPECT_EQ(Age(**repo, 1), Value(int64_t{31}));
  EXPECT_EQ(Age(**repo, 2), Value(int64_t{40}));
  EXPECT_EQ(Age(**repo, 3), Value(int64_t{50}));
  const auto& clicks = **(*repo)->FindGroup("clicks");
  auto seq = (*repo)->Read(clicks, std::vector<Value>{int64_t{1}}, {&clicks.features[0]}, Now() + 2);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(testing::ListCell(*(*seq)[0], 0), (std::vector<Value>{int64_t{101}, int64_t{100}}));
  // Writes continue after the highest write_seq, never reusing one.
  EXPECT_EQ((*repo)->Write(**(*repo)->FindGroup("profile"), std::vector<FeatureRow>{Row(int64_t{4}, Now(), {int64_t{1}})}).value(), 7u);
}

TEST(OnlineBackup, ABackupOfAnotherProjectOrNoBackupIsRefused) {
  TempDir a, b, backups;
  const std::string backup = (backups.path() / "b").string();
  {
    auto repo = MakeRepo(a, kDefs);
    ASSERT_TRUE(BackupOnlineStore(*repo, backup).ok());
  }
  testing::WriteText(b.path() / "strata.yaml", std::string("project: other\n") + kDefs);
  ASSERT_TRUE(FeatureRepository::Apply(b.str()).ok());
  auto r = RestoreOnlineStore(b.str(), backup);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("project 'test'"), std::string::npos) << r.status().message();
  auto none = RestoreOnlineStore(b.str(), backups.str());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("backup.json"), std::string::npos);
}

}  // namespace
}  // namespace strata
