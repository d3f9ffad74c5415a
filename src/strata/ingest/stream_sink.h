#pragma once
// Where a stream consumer that does not own the stores writes (`strata stream --server`):
// each poll batch goes, with the positions after it, to a process that does (`strata serve`),
// which writes it exactly once. The fence is the partitions' positions: a batch is written
// only if each of its partitions starts where the store's position is, so a consumer that
// lost a partition in a rebalance (or retries a batch that was written) cannot write its
// records twice; it is told the stored positions and resumes from them.

#include <map>
#include <string>
#include <vector>

#include "strata/core/definitions.h"
#include "strata/core/status.h"
#include "strata/store/feature_repository.h"

namespace strata {

// Rows of one group, in message order (a batch is a sequence of them).
struct StreamRun {
  const EntityDef* entity = nullptr;
  const FeatureGroupDef* group = nullptr;
  std::vector<FeatureRow> rows;
};

// One partition of a batch: where the batch started reading it (the stored position, or the
// previous batch's next; empty when no position was stored) and where the next batch starts.
struct StreamSpan {
  std::string start;
  std::string next;
};

struct StreamSinkResult {
  // Some partition did not start at the stored position: nothing was written.
  bool conflict = false;
  std::map<std::string, std::string> stored;  // with a conflict: the stored position of each partition of the batch
};

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // The stored positions of the stream (source -> next position).
  virtual Result<std::map<std::string, std::string>> Positions() = 0;
  // Writes the runs and the partitions' next positions atomically, or reports a conflict.
  virtual Result<StreamSinkResult> Write(const std::vector<StreamRun>& runs,
                                         const std::map<std::string, StreamSpan>& spans) = 0;
  // For messages: where the batches go ("server 127.0.0.1:6566").
  virtual std::string Describe() const = 0;
};

}  // namespace strata
