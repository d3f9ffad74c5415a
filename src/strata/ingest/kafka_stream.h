#pragma once
// `strata stream`: consumes Kafka topics (librdkafka, a consumer group) into feature groups,
// exactly once into both stores. Each poll batch becomes one atomic online write that also
// stores the partitions' next offsets (StreamWriter); offline commits are batched. When
// partitions are assigned, consumption starts from the offsets in the store, not Kafka's
// (which are committed too, after each write, for monitoring tools). Bad records go to the
// dead letters with the reason, topic, partition and offset; the stream goes on.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "strata/core/status.h"
#include "strata/ingest/stream_config.h"
#include "strata/ingest/stream_sink.h"
#include "strata/store/feature_repository.h"

namespace strata {

struct StreamCounters {
  std::atomic<uint64_t> messages{0};       // consumed
  std::atomic<uint64_t> rows{0};           // written to the stores
  std::atomic<uint64_t> rejected{0};       // sent to the dead letters
  std::atomic<uint64_t> batches{0};        // online writes
  std::atomic<uint64_t> offline_commits{0};
  std::atomic<uint64_t> write_micros{0};   // time spent in online writes (and offline commits)
  std::atomic<int64_t> lag{0};             // messages behind the partitions' ends (last known)
  std::atomic<uint64_t> rebalances{0};
  std::atomic<uint64_t> pushed_rows{0};    // rows written through Push (not from Kafka)
  std::atomic<uint64_t> conflicts{0};      // remote batches refused by the fence (consumed again)
  std::atomic<uint64_t> sink_retries{0};   // remote writes retried (server unreachable)
  std::atomic<int64_t> first_message_micros{0};  // when the first message arrived (0: none yet)
  std::atomic<int64_t> last_write_micros{0};     // when the last write finished
};

class KafkaStream {
 public:
  static Result<std::unique_ptr<KafkaStream>> Open(FeatureRepository& repo, const StreamConfig& config);
  // A consumer that writes through `sink` (a server owning the stores: `strata stream
  // --server`), so that several processes in one consumer group split the partitions. The
  // definition decodes messages; the server validates the rows again.
  static Result<std::unique_ptr<KafkaStream>> OpenRemote(RepoDefinition definition, const std::string& repo_dir,
                                                         const StreamConfig& config, std::unique_ptr<StreamSink> sink);
  ~KafkaStream();

  // Consumes until `stop` is set, or, with `stop_at_end`, until every assigned partition is
  // at its end. Commits offline before returning.
  Status Run(const std::atomic<bool>& stop, bool stop_at_end);

  // Writes rows that did not come from Kafka (a server's pushes) through the stream's own
  // pipeline: online at once, offline with the stream's next commit, exactly once across a
  // crash like the stream's rows. Safe while Run goes on in another thread (a write at a time).
  // Returns the last write_seq assigned.
  Result<uint64_t> Push(const FeatureGroupDef& group, std::span<const FeatureRow> rows);

  const StreamCounters& counters() const { return counters_; }
  // The stream's name (its offsets and pending rows in the store are under it).
  const std::string& name() const;
  // Prometheus text: the counters, lag, and the event-to-servable latency histogram.
  std::string RenderMetrics() const;
  // Rows recovered offline at start from a previous process's pending batches.
  uint64_t recovered_rows() const;

  class Impl;

 private:
  explicit KafkaStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  StreamCounters& counters_;
};

}  // namespace strata
