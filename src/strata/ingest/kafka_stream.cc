#include "strata/ingest/kafka_stream.h"

#include <librdkafka/rdkafka.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <nlohmann/json.hpp>

#include "strata/core/prometheus_text.h"
#include "strata/core/time.h"
#include "strata/ingest/avro_row_decoder.h"
#include "strata/ingest/protobuf_row_decoder.h"
#include "strata/ingest/json_row_decoder.h"
#include "strata/ingest/stream_sink.h"
#include "strata/store/stream_writer.h"

namespace strata {

namespace {

using Clock = std::chrono::steady_clock;

// How long a remote stream retries a server it cannot reach before it stops with the error.
constexpr auto kSinkRetryWindow = std::chrono::seconds(60);
// A remote stream's poll batch is one gRPC request: well under the server's 64 MiB limit.
constexpr size_t kRemoteBatchBytes = 16 << 20;

// Event-to-servable latency buckets (s): from the message's Kafka timestamp to the end of the
// online write that made it readable.
constexpr std::array<double, 18> kFreshnessBounds = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2,
                                                     0.3,   0.5,   0.75,  1,    1.5,  2,    3,   5,    10};
// Store writes: one online batch, one offline commit (seconds).
constexpr std::array<double, 16> kWriteBounds = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
                                                 0.2,    0.5,   1,     2,     5,    10,   30,   60};

std::string PositionKey(const std::string& topic, int32_t partition) {
  return "kafka/" + topic + "/" + std::to_string(partition);
}

std::string JsonText(const void* data, size_t len, size_t limit) {
  std::string s(static_cast<const char*>(data), std::min(len, limit));
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

class KafkaStream::Impl {
 public:
  // Local: writes `repo`'s stores.
  Impl(FeatureRepository& repo, StreamConfig config)
      : repo_(&repo), definition_(repo.definition()), repo_dir_(repo.dir()), config_(std::move(config)) {}
  // Remote: `sink` writes the stores in another process; `definition` and `repo_dir` (for
  // relative paths) are the repository's.
  Impl(RepoDefinition definition, std::string repo_dir, StreamConfig config, std::unique_ptr<StreamSink> sink)
      : repo_(nullptr),
        owned_definition_(std::make_unique<RepoDefinition>(std::move(definition))),
        definition_(*owned_definition_),
        repo_dir_(std::move(repo_dir)),
        config_(std::move(config)),
        sink_(std::move(sink)) {}

  ~Impl() {
    if (consumer_) {
      rd_kafka_consumer_close(consumer_);
      rd_kafka_destroy(consumer_);
    }
    if (dead_letter_producer_) {
      rd_kafka_flush(dead_letter_producer_, 10'000);
      rd_kafka_destroy(dead_letter_producer_);
    }
    if (dead_letter_file_) std::fclose(dead_letter_file_);
  }

  Status Open() {
    for (const auto& t : config_.topics) {
      if (topics_.count(t.topic)) return Status::InvalidArgument("topic " + t.topic + " is listed twice");
      const FeatureGroupDef* group = definition_.FindGroup(t.group);
      if (!group) return Status::InvalidArgument("topic " + t.topic + ": the repository has no feature group '" + t.group + "'");
      if (group->name.rfind('_', 0) == 0) return Status::InvalidArgument("group " + t.group + " is reserved");
      const EntityDef* entity = definition_.FindEntity(group->entity);
      if (!entity) return Status::Internal("group " + group->name + " has no entity");
      TopicState& s = topics_[t.topic];
      s.group = group;
      auto json = std::make_unique<JsonRowDecoder>(*entity, *group, t.fields);
      if (t.format == "avro") {
        auto avro = AvroRowDecoder::Make(t.avro_schema, t.confluent_framing, std::move(json));
        if (!avro.ok()) return Status::InvalidArgument("topic " + t.topic + ": " + avro.status().message());
        s.decoder = std::move(*avro);
      } else if (t.format == "protobuf") {
        auto proto = ProtobufRowDecoder::Make(t.proto_file, t.proto_message, t.confluent_framing, std::move(json));
        if (!proto.ok()) return Status::InvalidArgument("topic " + t.topic + ": " + proto.status().message());
        s.decoder = std::move(*proto);
      } else {
        s.decoder = std::move(json);
      }
    }
    if (!sink_) {
      StreamWriterOptions wo;
      wo.on_offline_commit = [this](double seconds) { offline_commit_seconds_.Observe(seconds); };
      wo.name = config_.name;
      wo.commit_rows = config_.commit_rows;
      wo.commit_interval = std::chrono::milliseconds(config_.commit_interval_ms);
      STRATA_ASSIGN_OR_RETURN(writer_, StreamWriter::Open(*repo_, wo));
    }

    if (!config_.dead_letter_file.empty()) {
      const std::string path = FeatureRepository::ResolvePath(repo_dir_, config_.dead_letter_file);
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
      dead_letter_file_ = std::fopen(path.c_str(), "a");
      if (!dead_letter_file_) return Status::IOError("cannot open the dead-letter file " + path);
    }

    char err[512];
    std::map<std::string, std::string> props = {{"group.id", "strata-" + config_.name},
                                                {"enable.auto.commit", "false"},
                                                {"enable.auto.offset.store", "false"},
                                                {"enable.partition.eof", "true"},
                                                {"queued.max.messages.kbytes", "65536"},
                                                {"log_level", "3"}};
    for (const auto& [k, v] : config_.kafka) props[k] = v;
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [k, v] : props) {
      if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return Status::InvalidArgument("kafka." + k + ": " + err);
      }
    }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_rebalance_cb(conf, &Impl::Rebalance);
    consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!consumer_) return Status::InvalidArgument(std::string("cannot create the Kafka consumer: ") + err);
    rd_kafka_poll_set_consumer(consumer_);

    if (!config_.dead_letter_topic.empty()) {
      rd_kafka_conf_t* pconf = rd_kafka_conf_new();
      for (const auto& [k, v] : config_.kafka) {
        if (k == "group.id" || k.rfind("enable.", 0) == 0 || k.rfind("auto.", 0) == 0) continue;  // consumer-only
        rd_kafka_conf_set(pconf, k.c_str(), v.c_str(), err, sizeof err);
      }
      rd_kafka_conf_set(pconf, "enable.idempotence", "true", err, sizeof err);
      dead_letter_producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof err);
      if (!dead_letter_producer_) return Status::InvalidArgument(std::string("cannot create the dead-letter producer: ") + err);
    }
    if (writer_) counters_.offline_commits = writer_->offline_commits();
    return Status::OK();
  }

  Status Run(const std::atomic<bool>& stop, bool stop_at_end) {
    rd_kafka_topic_partition_list_t* subscription = rd_kafka_topic_partition_list_new(static_cast<int>(topics_.size()));
    for (const auto& [name, s] : topics_) rd_kafka_topic_partition_list_add(subscription, name.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(consumer_, subscription);
    rd_kafka_topic_partition_list_destroy(subscription);
    if (e) return Status::IOError(std::string("subscribing: ") + rd_kafka_err2str(e));

    std::vector<rd_kafka_message_t*> batch;
    stop_ = &stop;
    while (!stop.load()) {
      Poll(&batch);
      Status st = Process(batch);
      for (auto* m : batch) rd_kafka_message_destroy(m);
      batch.clear();
      batch_epochs_.clear();
      if (!st.ok()) return st;
      if (!rebalance_error_.ok()) return rebalance_error_;
      STRATA_RETURN_NOT_OK(CommitIfDue());  // when no message came, pending rows still reach offline on time
      UpdateLag();
      if (stop_at_end && !partitions_.empty() &&
          std::all_of(partitions_.begin(), partitions_.end(), [](const auto& p) { return p.second.eof; }))
        break;
    }
    STRATA_RETURN_NOT_OK(CommitOffline());
    counters_.last_write_micros = NowMicros();
    return Status::OK();
  }

  Status CommitIfDue() {
    if (!writer_) return Status::OK();  // remote: the server commits
    std::lock_guard lock(write_mu_);
    STRATA_RETURN_NOT_OK(writer_->CommitIfDue());
    counters_.offline_commits = writer_->offline_commits();
    return Status::OK();
  }

  Status CommitOffline() {
    if (!writer_) return Status::OK();
    std::lock_guard lock(write_mu_);
    STRATA_RETURN_NOT_OK(Timed([&] { return writer_->CommitOffline(); }));
    counters_.offline_commits = writer_->offline_commits();
    return Status::OK();
  }

  Result<uint64_t> Push(const FeatureGroupDef& group, std::span<const FeatureRow> rows) {
    if (!writer_) return Status::FailedPrecondition("stream " + config_.name + " writes through " + sink_->Describe() + "; push there");
    std::lock_guard lock(write_mu_);
    Status st = writer_->Stage(group, rows);
    if (st.ok()) st = Timed([&] { return writer_->Write({}); });
    if (!st.ok()) {
      writer_->DiscardStaged();  // a bad key in the request: none of its rows were written
      return st;
    }
    counters_.pushed_rows += rows.size();
    counters_.offline_commits = writer_->offline_commits();
    return repo_->last_write_seq();
  }

  std::string RenderMetrics() const {
    std::string out;
    auto metric = [&](const char* name, const char* type, const char* help, double v) {
      AppendMetricHeader(name, type, help, &out);
      AppendSample(name, "", v, &out);
    };
    auto counter = [&](const char* name, const char* help, uint64_t v) { metric(name, "counter", help, static_cast<double>(v)); };
    counter("strata_stream_messages_total", "Kafka messages consumed.", counters_.messages.load());
    counter("strata_stream_rows_total", "Rows written to both stores.", counters_.rows.load());
    counter("strata_stream_rejected_total", "Messages sent to the dead letters.", counters_.rejected.load());
    counter("strata_stream_batches_total", "Online writes (one per poll batch).", counters_.batches.load());
    counter("strata_stream_offline_commits_total", "Offline (Iceberg) commits.", counters_.offline_commits.load());
    counter("strata_stream_rebalances_total", "Partition assignments and revocations.", counters_.rebalances.load());
    counter("strata_stream_write_conflicts_total",
            "Remote batches refused because a partition had moved on in the store (consumed again from there).",
            counters_.conflicts.load());
    counter("strata_stream_sink_retries_total", "Remote writes retried because the server was unreachable.",
            counters_.sink_retries.load());
    counter("strata_stream_pushed_rows_total", "Rows pushed to the server and written through the stream's pipeline.",
            counters_.pushed_rows.load());
    metric("strata_stream_write_seconds_total", "counter", "Time spent writing the stores.", counters_.write_micros.load() / 1e6);
    metric("strata_stream_consumer_lag", "gauge", "Messages behind the ends of the assigned partitions.",
           static_cast<double>(counters_.lag.load()));
    AppendMetricHeader("strata_stream_freshness_seconds", "histogram",
                       "From a message's Kafka timestamp to the end of the online write that made it servable.", &out);
    freshness_.Render("strata_stream_freshness_seconds", "", &out);
    AppendMetricHeader("strata_stream_online_write_seconds", "histogram",
                       "One poll batch's online write (with its offsets and pending offline rows).", &out);
    online_write_seconds_.Render("strata_stream_online_write_seconds", "", &out);
    AppendMetricHeader("strata_stream_offline_commit_seconds", "histogram",
                       "One offline commit (Parquet files and an Iceberg snapshot per group), in the background.", &out);
    offline_commit_seconds_.Render("strata_stream_offline_commit_seconds", "", &out);
    return out;
  }

  uint64_t recovered_rows() const { return writer_ ? writer_->recovery().rows_committed_offline : 0; }
  const std::string& name() const { return config_.name; }
  StreamCounters counters_;

 private:
  struct TopicState {
    const FeatureGroupDef* group = nullptr;
    std::unique_ptr<MessageDecoder> decoder;
  };
  struct PartitionState {
    bool eof = false;
    int64_t next_offset = -1;  // -1: none stored yet and nothing consumed
    uint64_t epoch = 0;        // which assignment of the partition this is
  };
  struct BatchPartition {
    std::string topic;
    int32_t partition = 0;
    int64_t first_offset = 0;  // of the batch's first message of the partition
  };

  template <typename F>
  auto Timed(F&& f) -> decltype(f()) {
    const auto t = Clock::now();
    auto st = f();
    counters_.write_micros += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count());
    return st;
  }

  // A call to the sink, retried while it is unreachable (a server restarting): a retried
  // write that had been written finds the store moved on (a conflict), so none is written twice.
  template <typename F>
  auto WithRetries(F&& f) -> decltype(f()) {
    const auto deadline = Clock::now() + kSinkRetryWindow;
    auto backoff = std::chrono::milliseconds(50);
    for (;;) {
      auto r = f();
      if (r.ok() || r.status().code() != StatusCode::kIOError || Clock::now() + backoff >= deadline ||
          (stop_ && stop_->load()))
        return r;
      counters_.sink_retries += 1;
      std::this_thread::sleep_for(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(2));
    }
  }

  // One poll batch to the sink. False when it was not written: a partition did not start at
  // the stored position (it moved to another consumer and back, or a retried batch had been
  // written), and every partition of the batch is sought to where the store is.
  Result<bool> WriteRemote(const std::vector<StreamRun>& runs, const std::map<std::string, StreamSpan>& spans,
                           const std::map<std::string, BatchPartition>& partitions) {
    STRATA_ASSIGN_OR_RETURN(StreamSinkResult r, WithRetries([&] { return sink_->Write(runs, spans); }));
    if (!r.conflict) return true;
    counters_.conflicts += 1;
    rd_kafka_topic_partition_list_t* seek = rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
    for (const auto& [source, bp] : partitions) {
      auto stored = r.stored.find(source);
      const int64_t target = stored != r.stored.end() ? std::stoll(stored->second) : bp.first_offset;
      rd_kafka_topic_partition_list_add(seek, bp.topic.c_str(), bp.partition)->offset = target;
    }
    rd_kafka_error_t* failed = rd_kafka_seek_partitions(consumer_, seek, 10'000);
    std::string error = failed ? rd_kafka_error_string(failed) : "";
    if (failed) rd_kafka_error_destroy(failed);
    for (int i = 0; i < seek->cnt && error.empty(); ++i) {
      const rd_kafka_topic_partition_t& tp = seek->elems[i];
      auto p = partitions_.find({tp.topic, tp.partition});
      if (p == partitions_.end()) continue;  // revoked meanwhile: its next owner reads it
      if (tp.err) {
        error = std::string(tp.topic) + " [" + std::to_string(tp.partition) + "]: " + rd_kafka_err2str(tp.err);
        break;
      }
      // Where the next batch starts: the stored position, or none stored yet.
      p->second.next_offset = r.stored.count(PositionKey(tp.topic, tp.partition)) ? tp.offset : -1;
    }
    rd_kafka_topic_partition_list_destroy(seek);
    // Reading on from the wrong place could skip or repeat records: stop, and a restart resumes
    // from the stored positions.
    if (!error.empty()) return Status::IOError("seeking back to the stored positions after a refused batch: " + error);
    return false;
  }

  // Up to max_batch_messages messages, waiting at most max_wait for the first ones. A remote
  // stream's batch is one request: it also stops at kRemoteBatchBytes of payloads.
  void Poll(std::vector<rd_kafka_message_t*>* out) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(config_.max_wait_ms);
    size_t bytes = 0;
    while (static_cast<int64_t>(out->size()) < config_.max_batch_messages && !(sink_ && bytes >= kRemoteBatchBytes)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, out->empty() ? static_cast<int>(std::max<int64_t>(0, left)) : 0);
      if (!m) {
        if (!out->empty() || Clock::now() >= deadline) break;
        continue;
      }
      bytes += m->len;
      out->push_back(m);
      batch_epochs_.push_back(assignments_);  // how many assignments it came after (see Process)
    }
  }

  Status Process(const std::vector<rd_kafka_message_t*>& batch) {
    std::map<std::string, StreamSpan> spans;  // each partition's start and next position
    std::map<std::string, BatchPartition> batch_partitions;
    std::vector<int64_t> timestamps;
    // Decoded first, staged and written under the writer's lock at the end: pushes from
    // another thread (a server running this stream) wait for one write, not for the decoding.
    std::vector<std::pair<const FeatureGroupDef*, FeatureRow>> decoded;
    decoded.reserve(batch.size());
    uint64_t consumed = 0, rejected = 0;
    FeatureRow row;
    std::string reason;
    for (size_t i = 0; i < batch.size(); ++i) {
      rd_kafka_message_t* m = batch[i];
      const std::string topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
      // A message polled before its partition was revoked belongs to no assignment now, and one
      // polled before a revocation and a new assignment of it (an eager rebalance, within one
      // batch) to an old one: either way the partition's owner reads it again from the stored
      // position, so it is not this batch's.
      auto assigned = partitions_.find({topic, m->partition});
      const bool current = assigned != partitions_.end() && assigned->second.epoch <= batch_epochs_[i];
      if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          if (current) assigned->second.eof = true;
        } else if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
          return Status::IOError("topic " + topic + ": " + rd_kafka_message_errstr(m));
        }
        continue;  // transient consumer errors: librdkafka retries
      }
      if (!current) continue;
      if (consumed++ == 0 && counters_.first_message_micros.load() == 0) counters_.first_message_micros = NowMicros();
      PartitionState& p = assigned->second;
      const std::string source = PositionKey(topic, m->partition);
      if (!spans.count(source)) {
        spans[source].start = p.next_offset >= 0 ? std::to_string(p.next_offset) : "";
        batch_partitions[source] = {topic, m->partition, m->offset};
      }
      p.eof = false;
      p.next_offset = m->offset + 1;
      spans[source].next = std::to_string(m->offset + 1);
      auto ts = rd_kafka_message_timestamp(m, nullptr);
      auto t = topics_.find(topic);
      bool ok = false;
      if (t == topics_.end()) {
        reason = "no group is configured for topic " + topic;
      } else if (static_cast<int64_t>(m->len) > config_.max_message_bytes) {
        reason = "message of " + std::to_string(m->len) + " bytes exceeds max_message_bytes (" +
                 std::to_string(config_.max_message_bytes) + ")";
      } else {
        ok = t->second.decoder->Decode(std::string_view(static_cast<const char*>(m->payload), m->len), &row, &reason);
      }
      if (ok) {
        decoded.emplace_back(t->second.group, std::move(row));
        row = FeatureRow{};
        if (ts > 0) timestamps.push_back(ts);
      } else {
        ++rejected;
        nlohmann::json j = {{"reason", reason}, {"topic", topic}, {"partition", m->partition}, {"offset", m->offset},
                            {"payload_bytes", m->len}};
        std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        line.pop_back();  // the closing brace: the payload goes last, as (valid UTF-8) JSON text
        line += ", \"payload\": " + JsonText(m->payload, m->len, 64 << 10) + "}";
        STRATA_RETURN_NOT_OK(DeadLetter(line, topic));
      }
    }
    if (spans.empty()) return Status::OK();
    if (dead_letter_file_) std::fflush(dead_letter_file_);
    if (dead_letter_producer_) rd_kafka_flush(dead_letter_producer_, 30'000);
    const auto staged = static_cast<int64_t>(decoded.size());
    if (sink_) {
      std::vector<StreamRun> runs;
      for (auto& [group, row] : decoded) {
        if (runs.empty() || runs.back().group != group) runs.push_back({definition_.FindEntity(group->entity), group, {}});
        runs.back().rows.push_back(std::move(row));
      }
      const auto t = Clock::now();
      STRATA_ASSIGN_OR_RETURN(const bool written, Timed([&] { return WriteRemote(runs, spans, batch_partitions); }));
      if (!written) return Status::OK();  // consumed again from the stored positions
      online_write_seconds_.Observe(std::chrono::duration<double>(Clock::now() - t).count());
    } else {
      std::lock_guard lock(write_mu_);
      // Runs of one group staged at once, in message order (write_seq follow it).
      Status st;
      for (size_t i = 0; i < decoded.size() && st.ok();) {
        size_t j = i;
        std::vector<FeatureRow> run;
        for (; j < decoded.size() && decoded[j].first == decoded[i].first; ++j) run.push_back(std::move(decoded[j].second));
        st = writer_->Stage(*decoded[i].first, run);
        i = j;
      }
      std::map<std::string, std::string> positions;
      for (const auto& [source, span] : spans) positions[source] = span.next;
      const auto t = Clock::now();
      if (st.ok()) st = Timed([&] { return writer_->Write(positions); });
      if (!st.ok()) {
        writer_->DiscardStaged();  // the stream stops; a push must not write these rows without their offsets
        return st;
      }
      online_write_seconds_.Observe(std::chrono::duration<double>(Clock::now() - t).count());
    }
    const int64_t now_ms = NowMicros() / 1000;
    for (const int64_t ts : timestamps) freshness_.Observe(static_cast<double>(std::max<int64_t>(0, now_ms - ts)) / 1e3);
    counters_.messages += consumed;
    counters_.rejected += rejected;
    counters_.rows += static_cast<uint64_t>(staged);
    counters_.batches += 1;
    if (writer_) counters_.offline_commits = writer_->offline_commits();
    // Kafka's committed offsets follow the store's, for lag monitoring (the store's are the truth).
    rd_kafka_topic_partition_list_t* commit = rd_kafka_topic_partition_list_new(static_cast<int>(partitions_.size()));
    for (const auto& [tp, p] : partitions_)
      if (p.next_offset >= 0) rd_kafka_topic_partition_list_add(commit, tp.first.c_str(), tp.second)->offset = p.next_offset;
    rd_kafka_commit(consumer_, commit, /*async=*/1);
    rd_kafka_topic_partition_list_destroy(commit);
    return Status::OK();
  }

  Status DeadLetter(const std::string& line, const std::string& topic) {
    if (dead_letter_file_) {
      if (std::fputs((line + "\n").c_str(), dead_letter_file_) < 0) return Status::IOError("writing the dead-letter file");
    }
    if (dead_letter_producer_) {
      rd_kafka_resp_err_t e = rd_kafka_producev(dead_letter_producer_, RD_KAFKA_V_TOPIC(config_.dead_letter_topic.c_str()),
                                                RD_KAFKA_V_VALUE(const_cast<char*>(line.data()), line.size()),
                                                RD_KAFKA_V_KEY(const_cast<char*>(topic.data()), topic.size()),
                                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e) return Status::IOError(std::string("producing to the dead-letter topic: ") + rd_kafka_err2str(e));
      rd_kafka_poll(dead_letter_producer_, 0);
    }
    return Status::OK();
  }

  void UpdateLag() {
    int64_t lag = 0;
    for (const auto& [tp, p] : partitions_) {
      int64_t low = 0, high = 0;
      if (rd_kafka_get_watermark_offsets(consumer_, tp.first.c_str(), tp.second, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          high >= 0 && p.next_offset >= 0)
        lag += std::max<int64_t>(0, high - p.next_offset);
    }
    counters_.lag = lag;
  }

  // Assignments start at the offsets the store holds; a revocation commits offline first, so
  // the next owner of a partition finds every row of it in both stores.
  static void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    self->counters_.rebalances += 1;
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      std::map<std::string, std::string> stored;
      Result<std::map<std::string, std::string>> positions = std::map<std::string, std::string>{};
      if (self->sink_) {
        positions = self->WithRetries([&] { return self->sink_->Positions(); });
      } else {
        std::lock_guard lock(self->write_mu_);
        positions = self->writer_->Positions("kafka/");
      }
      if (positions.ok()) stored = std::move(*positions);
      else self->rebalance_error_ = positions.status();
      for (int i = 0; i < parts->cnt; ++i) {
        auto& tp = parts->elems[i];
        auto it = stored.find(PositionKey(tp.topic, tp.partition));
        tp.offset = it != stored.end()                   ? std::stoll(it->second)
                    : self->config_.start == "latest" ? RD_KAFKA_OFFSET_END
                                                      : RD_KAFKA_OFFSET_BEGINNING;
        self->partitions_[{tp.topic, tp.partition}] =
            PartitionState{.eof = false, .next_offset = it != stored.end() ? tp.offset : -1, .epoch = ++self->assignments_};
      }
      if (cooperative) rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
      else rd_kafka_assign(rk, parts);
    } else {
      Status st = self->CommitOffline();
      if (!st.ok() && self->rebalance_error_.ok()) self->rebalance_error_ = st;
      for (int i = 0; i < parts->cnt; ++i) self->partitions_.erase({parts->elems[i].topic, parts->elems[i].partition});
      if (cooperative) rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
      else rd_kafka_assign(rk, nullptr);
    }
  }

  FeatureRepository* repo_;  // null for a remote stream
  std::unique_ptr<RepoDefinition> owned_definition_;  // a remote stream's
  const RepoDefinition& definition_;
  std::string repo_dir_;
  StreamConfig config_;
  std::unique_ptr<StreamSink> sink_;  // a remote stream's
  const std::atomic<bool>* stop_ = nullptr;
  // The writer has one user at a time: the consuming thread, or a push (see Push).
  std::mutex write_mu_;
  std::unique_ptr<StreamWriter> writer_;
  std::map<std::string, TopicState> topics_;
  std::map<std::pair<std::string, int32_t>, PartitionState> partitions_;
  uint64_t assignments_ = 0;             // partition assignments so far (their epochs)
  std::vector<uint64_t> batch_epochs_;   // assignments_ when each message of the batch was polled
  rd_kafka_t* consumer_ = nullptr;
  rd_kafka_t* dead_letter_producer_ = nullptr;
  FILE* dead_letter_file_ = nullptr;
  Status rebalance_error_;
  Histogram freshness_{kFreshnessBounds};
  Histogram online_write_seconds_{kWriteBounds};
  Histogram offline_commit_seconds_{kWriteBounds};
};

KafkaStream::KafkaStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)), counters_(impl_->counters_) {}
KafkaStream::~KafkaStream() = default;

Result<std::unique_ptr<KafkaStream>> KafkaStream::Open(FeatureRepository& repo, const StreamConfig& config) {
  auto impl = std::make_unique<Impl>(repo, config);
  STRATA_RETURN_NOT_OK(impl->Open());
  return std::unique_ptr<KafkaStream>(new KafkaStream(std::move(impl)));
}

Result<std::unique_ptr<KafkaStream>> KafkaStream::OpenRemote(RepoDefinition definition, const std::string& repo_dir,
                                                             const StreamConfig& config, std::unique_ptr<StreamSink> sink) {
  if (!sink) return Status::InvalidArgument("a remote stream needs a sink");
  auto impl = std::make_unique<Impl>(std::move(definition), repo_dir, config, std::move(sink));
  STRATA_RETURN_NOT_OK(impl->Open());
  return std::unique_ptr<KafkaStream>(new KafkaStream(std::move(impl)));
}

Status KafkaStream::Run(const std::atomic<bool>& stop, bool stop_at_end) { return impl_->Run(stop, stop_at_end); }
std::string KafkaStream::RenderMetrics() const { return impl_->RenderMetrics(); }
Result<uint64_t> KafkaStream::Push(const FeatureGroupDef& group, std::span<const FeatureRow> rows) {
  return impl_->Push(group, rows);
}
uint64_t KafkaStream::recovered_rows() const { return impl_->recovered_rows(); }
const std::string& KafkaStream::name() const { return impl_->name(); }

}  // namespace strata
