// A Kafka-protocol broker on loopback for tests and the demo, on
// librdkafka's mock cluster. NOT for production: it keeps about 5 MiB per
// partition, drops older data, and has no admin API (see
// shared/toolchain.md for its limits).
//
// Start() creates the cluster, pre-creates the topics, and returns; the
// broker serves other threads and processes until the object is destroyed.
// Not synchronised.
#ifndef TWIN_LIB_MOCK_BROKER_H_
#define TWIN_LIB_MOCK_BROKER_H_

#include <memory>
#include <string>
#include <vector>

#include "lib/base/status.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace twin {

// The nine input topics, state.full, state.incremental and twin.deadletter.
std::vector<std::string> DefaultBrokerTopics();

class MockBroker {
 public:
  struct Options {
    int brokers = 1;
    int partitions = 4;
    std::vector<std::string> topics = DefaultBrokerTopics();
  };

  static Result<std::unique_ptr<MockBroker>> Start(const Options& options);
  ~MockBroker();
  MockBroker(const MockBroker&) = delete;
  MockBroker& operator=(const MockBroker&) = delete;

  // "127.0.0.1:port[,...]", for bootstrap.servers.
  const std::string& bootstraps() const { return bootstraps_; }

 private:
  MockBroker() = default;
  rd_kafka_s* handle_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstraps_;
};

}  // namespace twin

#endif  // TWIN_LIB_MOCK_BROKER_H_
