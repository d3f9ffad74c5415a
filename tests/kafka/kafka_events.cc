// Click events in a Kafka topic, for tests and benchmarks of `strata stream` that run several
// processes: by default in librdkafka's mock cluster, hosted by this process on loopback (the
// mock keeps about the last 50k messages of a partition); with --bootstrap, in a real cluster.
//
//   kafka_events [--bootstrap HOST:PORT] --topic clicks --partitions 4 --messages N [--users U] [--seed S] [--poison K]
//                [--delay SECONDS] [--rate MESSAGES_PER_SECOND] [--now-timestamps 1]
//
// Prints "bootstrap HOST:PORT" and, once every message is acknowledged, "produced N"; then
// keeps the cluster up until stdin closes. Events are JSON: {"user_id", "ts" (µs), "item_id",
// "dwell_ms"}, keyed by user (so a user's events stay in order in one partition), with unique
// item_id = the message number (tests check exactly-once by them). --poison K adds K bad
// messages (not JSON, invalid UTF-8, a wrong type, a missing key) spread among them.
// --delay waits before producing (for consumers to join first), --rate paces production
// (bench/stream_ingest measures freshness at a steady rate), --now-timestamps 1 uses the
// current time as each event's ts.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <chrono>

int main(int argc, char** argv) {
  std::map<std::string, std::string> a = {{"--topic", "clicks"}, {"--partitions", "4"}, {"--messages", "1000"},
                                          {"--users", "1000"},   {"--seed", "1"},       {"--poison", "0"},
                                          {"--delay", "0"},      {"--rate", "0"},       {"--now-timestamps", "0"}};
  for (int i = 1; i + 1 < argc; i += 2) a[argv[i]] = argv[i + 1];
  const long long n = std::atoll(a["--messages"].c_str()), users = std::atoll(a["--users"].c_str());
  const long long poison = std::atoll(a["--poison"].c_str());
  char err[512];
  const bool mock = !a.count("--bootstrap");
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (mock) rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", err, sizeof err);
  else rd_kafka_conf_set(conf, "bootstrap.servers", a["--bootstrap"].c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    std::cerr << "kafka_events: " << err << "\n";
    return 1;
  }
  if (mock) {
    rd_kafka_mock_cluster_t* mc = rd_kafka_handle_mock_cluster(rk);
    if (rd_kafka_mock_topic_create(mc, a["--topic"].c_str(), std::atoi(a["--partitions"].c_str()), 1)) {
      std::cerr << "kafka_events: cannot create the topic\n";
      return 1;
    }
    std::cout << "bootstrap " << rd_kafka_mock_cluster_bootstraps(mc) << std::endl;
  } else {
    rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(a["--topic"].c_str(), std::atoi(a["--partitions"].c_str()), 1, err, sizeof err);
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &topic, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
    size_t n = 0;
    const rd_kafka_topic_result_t** res = ev ? rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n) : nullptr;
    if (!ev || (n == 1 && rd_kafka_topic_result_error(res[0]) && rd_kafka_topic_result_error(res[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)) {
      std::cerr << "kafka_events: cannot create the topic" << (n ? std::string(": ") + rd_kafka_topic_result_error_string(res[0]) : "") << "\n";
      return 1;
    }
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(topic);
    std::cout << "bootstrap " << a["--bootstrap"] << std::endl;
  }
  unsigned long long x = std::strtoull(a["--seed"].c_str(), nullptr, 10) * 0x9E3779B97F4A7C15ULL + 1;
  auto next = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  const long long base_ts = 1'790'000'000'000'000LL;
  const double rate = std::atof(a["--rate"].c_str());
  const bool now_ts = a["--now-timestamps"] == "1";
  std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(a["--delay"].c_str())));
  if (rate > 0) {
    // Paced production times each message from its creation: connect and learn the topic's
    // partition leaders first, or the first second of messages waits in this producer's queue.
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk, a["--topic"].c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, t, &md, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
  }
  const auto start = std::chrono::steady_clock::now();
  long long poisoned = 0;
  for (long long i = 0; i < n + poison; ++i) {
    std::string value, key;
    const bool bad = poisoned < poison && (i % ((n + poison) / (poison ? poison : 1) + 1)) == 1;
    if (bad) {
      static const char* kinds[] = {"{not json", "{\"user_id\": 1, \"ts\": 1, \"item_id\": \"\xff\xfe\"}",
                                    "{\"user_id\": \"x\", \"ts\": 1, \"item_id\": 1}", "{\"ts\": 1, \"item_id\": 1}"};
      value = kinds[poisoned % 4];
      key = "poison";
      ++poisoned;
    } else {
      const long long item = i - poisoned;
      const long long user = static_cast<long long>(next() % static_cast<unsigned long long>(users));
      const long long ts = now_ts ? std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch()).count()
                                  : base_ts + item * 1000;
      if (rate > 0) {  // pace: message i is due at start + i / rate
        const auto due = start + std::chrono::duration<double>(static_cast<double>(i) / rate);
        if (due > std::chrono::steady_clock::now()) {
          rd_kafka_poll(rk, 0);
          std::this_thread::sleep_until(due);
        }
      }
      value = "{\"user_id\": " + std::to_string(user) + ", \"ts\": " + std::to_string(ts) + ", \"item_id\": " +
              std::to_string(item) + ", \"dwell_ms\": " + std::to_string(next() % 60000) + "}";
      key = std::to_string(user);
    }
    while (true) {
      rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(a["--topic"].c_str()),
                                                RD_KAFKA_V_VALUE(value.data(), value.size()),
                                                RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 10);
        continue;
      }
      if (e) {
        std::cerr << "kafka_events: produce: " << rd_kafka_err2str(e) << "\n";
        return 1;
      }
      break;
    }
    rd_kafka_poll(rk, 0);
  }
  if (rd_kafka_flush(rk, 120'000)) {
    std::cerr << "kafka_events: flush timed out\n";
    return 1;
  }
  std::cout << "produced " << n + poison << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  rd_kafka_destroy(rk);
  return 0;
}
