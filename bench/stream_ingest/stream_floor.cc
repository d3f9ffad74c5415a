// bench/stream_ingest: the floor — a plain librdkafka consumer that only decodes the JSON of
// each message (the fields strata stream reads) and does nothing else. No consumer group: it
// assigns every partition from the beginning and stops at their ends. Prints one JSON line.
//
//   stream_floor --bootstrap HOST:PORT --topic clicks --partitions 4

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

int main(int argc, char** argv) {
  std::map<std::string, std::string> a = {{"--topic", "clicks"}, {"--partitions", "4"}};
  for (int i = 1; i + 1 < argc; i += 2) a[argv[i]] = argv[i + 1];
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", a["--bootstrap"].c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "floor", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_conf_set(conf, "queued.max.messages.kbytes", "65536", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) return std::fprintf(stderr, "%s\n", err), 1;
  rd_kafka_poll_set_consumer(rk);
  const int partitions = std::atoi(a["--partitions"].c_str());
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, a["--topic"].c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  auto start = std::chrono::steady_clock::now();  // from the first message, as strata stream reports
  long long messages = 0, checksum = 0, bad = 0;
  std::map<int32_t, bool> at_end;  // per partition: at its end now (a later message clears it)
  auto all_at_end = [&] {
    if (static_cast<int>(at_end.size()) < partitions) return false;
    for (const auto& [p, e] : at_end)
      if (!e) return false;
    return true;
  };
  while (!all_at_end()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 1000);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end[m->partition] = true;
    } else if (!m->err) {
      at_end[m->partition] = false;
      if (messages++ == 0) start = std::chrono::steady_clock::now();
      auto j = nlohmann::json::parse(static_cast<const char*>(m->payload), static_cast<const char*>(m->payload) + m->len,
                                     nullptr, false);
      if (j.is_object() && j.contains("user_id") && j.contains("item_id") && j.contains("ts")) {
        checksum += j["user_id"].get<long long>() + j["item_id"].get<long long>() + (j["ts"].get<long long>() & 0xff);
      } else {
        ++bad;
      }
    }
    rd_kafka_message_destroy(m);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"messages\": %lld, \"seconds\": %.3f, \"events_per_s\": %.0f, \"bad\": %lld, \"checksum\": %lld}\n", messages,
              secs, messages / secs, bad, checksum);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}
