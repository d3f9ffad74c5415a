#pragma once
// After a crash between an offline commit and the online write that follows it, the offline
// tables hold rows (write_seq above the online store's last) that the online store lacks.
// Reconciliation replays exactly those rows online, with the source positions their snapshots
// recorded, so that both stores hold the same rows and resumed ingestion skips them.

#include "strata/core/status.h"
#include "strata/store/feature_repository.h"

namespace strata {

struct ReconcileSummary {
  uint64_t replayed_rows = 0;
  uint64_t last_write_seq = 0;
};

Result<ReconcileSummary> ReconcileOnlineWithOffline(FeatureRepository& repo);

}  // namespace strata
