#include "lib/kafka/mock_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "lib/city/topic.h"

namespace twin {

std::vector<std::string> DefaultBrokerTopics() {
  std::vector<std::string> topics(kTopicNames.begin(), kTopicNames.end());
  topics.insert(topics.end(), {"state.full", "state.incremental", "twin.deadletter"});
  return topics;
}

Result<std::unique_ptr<MockBroker>> MockBroker::Start(const Options& options) {
  std::unique_ptr<MockBroker> broker(new MockBroker());
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only does the cluster's bookkeeping; keep it quiet.
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  broker->handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (broker->handle_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::Internal(std::string("mock broker: ") + error);
  }
  broker->cluster_ = rd_kafka_mock_cluster_new(broker->handle_, options.brokers);
  if (broker->cluster_ == nullptr)
    return Status::Unavailable("mock broker: cannot start");
  for (const std::string& topic : options.topics) {
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(broker->cluster_, topic.c_str(),
                                                         options.partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Internal("mock broker: cannot create topic '" + topic +
                              "': " + rd_kafka_err2str(err));
    }
  }
  broker->bootstraps_ = rd_kafka_mock_cluster_bootstraps(broker->cluster_);
  return broker;
}

MockBroker::~MockBroker() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (handle_ != nullptr) rd_kafka_destroy(handle_);
}

}  // namespace twin
