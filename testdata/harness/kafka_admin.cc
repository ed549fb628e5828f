// kafka-admin: the test harness's Kafka admin calls, through librdkafka's
// Admin API (test-only; not installed).
//
//   kafka-admin BROKERS create TOPIC PARTITIONS [REPLICATION [key=value ...]]
//       creates TOPIC (an existing one is no error) with topic configs, and
//       waits until its metadata shows every partition with a leader.
//   kafka-admin BROKERS alter TOPIC key=value ...
//       sets topic configs (incrementally: others keep their values).
//   kafka-admin BROKERS describe-broker
//       prints the first broker's `process.roles` and `message.max.bytes`.
//       librdkafka's mock cluster has no DescribeConfigs, so this fails
//       there: the suite's proof that it talks to Apache Kafka.
//
// Exit 0 on success, 1 on a Kafka error (printed on stderr), 2 on usage.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kTimeoutMs = 30000;

struct Handle {
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* queue = nullptr;
  ~Handle() {
    if (queue) rd_kafka_queue_destroy(queue);
    if (rk) rd_kafka_destroy(rk);
  }
};

bool Open(const char* brokers, Handle* h) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err) !=
      RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "kafka-admin: %s\n", err);
    rd_kafka_conf_destroy(conf);
    return false;
  }
  h->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!h->rk) {
    std::fprintf(stderr, "kafka-admin: %s\n", err);
    return false;
  }
  h->queue = rd_kafka_queue_new(h->rk);
  return true;
}

// Waits for the admin result of `type`; nullptr (after printing) on timeout.
rd_kafka_event_t* Await(Handle* h, rd_kafka_event_type_t type) {
  rd_kafka_event_t* event = rd_kafka_queue_poll(h->queue, kTimeoutMs + 5000);
  if (!event) {
    std::fprintf(stderr, "kafka-admin: no answer from the broker\n");
    return nullptr;
  }
  if (rd_kafka_event_type(event) != type || rd_kafka_event_error(event)) {
    std::fprintf(stderr, "kafka-admin: %s\n", rd_kafka_event_error_string(event));
    rd_kafka_event_destroy(event);
    return nullptr;
  }
  return event;
}

bool SplitConfig(const char* text, std::string* key, std::string* value) {
  const char* eq = std::strchr(text, '=');
  if (!eq || eq == text) return false;
  key->assign(text, eq);
  value->assign(eq + 1);
  return true;
}

bool WaitForLeaders(Handle* h, const char* name, int partitions) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  rd_kafka_topic_t* topic = rd_kafka_topic_new(h->rk, name, nullptr);
  while (std::chrono::steady_clock::now() < deadline) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(h->rk, 0, topic, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      bool ready = md->topic_cnt == 1 && md->topics[0].err == 0 &&
                   md->topics[0].partition_cnt == partitions;
      for (int i = 0; ready && i < md->topics[0].partition_cnt; ++i) {
        ready = md->topics[0].partitions[i].leader >= 0;
      }
      rd_kafka_metadata_destroy(md);
      if (ready) {
        rd_kafka_topic_destroy(topic);
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  rd_kafka_topic_destroy(topic);
  std::fprintf(stderr, "kafka-admin: %s has no leader for every partition\n", name);
  return false;
}

int Create(Handle* h, int argc, char** argv) {
  if (argc < 2) return 2;
  const char* name = argv[0];
  int partitions = std::atoi(argv[1]);
  int replication = argc > 2 ? std::atoi(argv[2]) : -1;
  char err[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(name, partitions, replication, err, sizeof err);
  if (!topic) {
    std::fprintf(stderr, "kafka-admin: %s\n", err);
    return 2;
  }
  for (int i = 3; i < argc; ++i) {
    std::string key, value;
    if (!SplitConfig(argv[i], &key, &value)) return 2;
    rd_kafka_NewTopic_set_config(topic, key.c_str(), value.c_str());
  }
  rd_kafka_CreateTopics(h->rk, &topic, 1, nullptr, h->queue);
  rd_kafka_NewTopic_destroy(topic);
  rd_kafka_event_t* event = Await(h, RD_KAFKA_EVENT_CREATETOPICS_RESULT);
  if (!event) return 1;
  size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &n);
  int status = 0;
  for (size_t i = 0; i < n; ++i) {
    rd_kafka_resp_err_t code = rd_kafka_topic_result_error(results[i]);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR &&
        code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      std::fprintf(stderr, "kafka-admin: create %s: %s\n",
                   rd_kafka_topic_result_name(results[i]),
                   rd_kafka_topic_result_error_string(results[i]));
      status = 1;
    }
  }
  rd_kafka_event_destroy(event);
  if (status == 0 && !WaitForLeaders(h, name, partitions)) status = 1;
  return status;
}

int Alter(Handle* h, int argc, char** argv) {
  if (argc < 2) return 2;
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, argv[0]);
  for (int i = 1; i < argc; ++i) {
    std::string key, value;
    if (!SplitConfig(argv[i], &key, &value)) return 2;
    rd_kafka_ConfigResource_set_config(resource, key.c_str(), value.c_str());
  }
  // librdkafka 2.0 has only the non-incremental AlterConfigs: it replaces the
  // topic's whole dynamic config, which is what a test topic wants.
  rd_kafka_AlterConfigs(h->rk, &resource, 1, nullptr, h->queue);
  rd_kafka_ConfigResource_destroy(resource);
  rd_kafka_event_t* event = Await(h, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT);
  if (!event) return 1;
  size_t n = 0;
  const rd_kafka_ConfigResource_t** results = rd_kafka_AlterConfigs_result_resources(
      rd_kafka_event_AlterConfigs_result(event), &n);
  int status = 0;
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_ConfigResource_error(results[i])) {
      std::fprintf(stderr, "kafka-admin: alter %s: %s\n", argv[0],
                   rd_kafka_ConfigResource_error_string(results[i]));
      status = 1;
    }
  }
  rd_kafka_event_destroy(event);
  return status;
}

int DescribeBroker(Handle* h) {
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(h->rk, 0, nullptr, &md, kTimeoutMs) !=
          RD_KAFKA_RESP_ERR_NO_ERROR ||
      md->broker_cnt == 0) {
    std::fprintf(stderr, "kafka-admin: no metadata from the broker\n");
    if (md) rd_kafka_metadata_destroy(md);
    return 1;
  }
  std::string id = std::to_string(md->brokers[0].id);
  rd_kafka_metadata_destroy(md);
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, id.c_str());
  rd_kafka_DescribeConfigs(h->rk, &resource, 1, nullptr, h->queue);
  rd_kafka_ConfigResource_destroy(resource);
  rd_kafka_event_t* event = Await(h, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT);
  if (!event) return 1;
  size_t n = 0;
  const rd_kafka_ConfigResource_t** results = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event), &n);
  int status = 1;
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_ConfigResource_error(results[i])) {
      std::fprintf(stderr, "kafka-admin: describe broker %s: %s\n", id.c_str(),
                   rd_kafka_ConfigResource_error_string(results[i]));
      continue;
    }
    size_t count = 0;
    const rd_kafka_ConfigEntry_t** entries =
        rd_kafka_ConfigResource_configs(results[i], &count);
    for (size_t j = 0; j < count; ++j) {
      const char* name = rd_kafka_ConfigEntry_name(entries[j]);
      const char* value = rd_kafka_ConfigEntry_value(entries[j]);
      if (std::strcmp(name, "process.roles") == 0 ||
          std::strcmp(name, "message.max.bytes") == 0) {
        std::printf("%s=%s\n", name, value ? value : "");
        status = 0;
      }
    }
  }
  rd_kafka_event_destroy(event);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(
        stderr,
        "usage: kafka-admin BROKERS create TOPIC PARTITIONS [REPLICATION [k=v ...]]\n"
        "       kafka-admin BROKERS alter TOPIC k=v ...\n"
        "       kafka-admin BROKERS describe-broker\n");
    return 2;
  }
  Handle h;
  if (!Open(argv[1], &h)) return 1;
  std::string command = argv[2];
  int status = 2;
  if (command == "create") status = Create(&h, argc - 3, argv + 3);
  if (command == "alter") status = Alter(&h, argc - 3, argv + 3);
  if (command == "describe-broker") status = DescribeBroker(&h);
  if (status == 2)
    std::fprintf(stderr, "kafka-admin: usage error (see the source's header)\n");
  return status;
}
