#pragma once
// What the offline subcommands (snapshots, scan, compact, expire) start from: the repository
// opened read-only online, the group, and its Iceberg table.

#include <memory>
#include <string>

#include "strata/cli/command.h"
#include "strata/offline/offline_store.h"
#include "strata/store/feature_repository.h"

namespace strata::cli {

struct OfflineTable {
  std::unique_ptr<FeatureRepository> repo;
  const FeatureGroupDef* group = nullptr;
  OfflineStore* offline = nullptr;
  iceberg::Table* table = nullptr;
  const EntityDef& entity() const { return repo->EntityOf(*group); }
};

// Opens `group` of the repository at `dir`; on failure prints the error for `command` and
// sets `*exit_code` (usage error for an unknown group).
inline std::optional<OfflineTable> OpenOfflineTable(const std::string& command, const std::string& dir,
                                                    const std::string& group, int* exit_code) {
  OfflineTable t;
  auto repo = FeatureRepository::Open(dir, {.read_only = true});
  if (!repo.ok()) return *exit_code = Fail(command, repo.status()), std::nullopt;
  t.repo = std::move(*repo);
  auto g = t.repo->FindGroup(group);
  if (!g.ok()) return *exit_code = Fail(command, g.status(), kExitUsageError), std::nullopt;
  t.group = *g;
  auto offline = t.repo->offline();
  if (!offline.ok()) return *exit_code = Fail(command, offline.status()), std::nullopt;
  t.offline = *offline;
  auto table = t.offline->GetTable(t.entity(), *t.group);
  if (!table.ok()) return *exit_code = Fail(command, table.status()), std::nullopt;
  t.table = *table;
  return t;
}

}  // namespace strata::cli
