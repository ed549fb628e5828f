// What twin-ingest is told (cli.md, twin-ingest): the Kafka clients, the
// store's city, the update rules and the loop's limits.
#ifndef TWIN_LIB_INGEST_INGEST_OPTIONS_H_
#define TWIN_LIB_INGEST_INGEST_OPTIONS_H_

#include <cstddef>
#include <string>

#include "lib/city/city_state.h"
#include "lib/city/update_rules.h"
#include "lib/kafka/kafka_io.h"

namespace twin {

struct IngestOptions {
  KafkaSettings kafka;
  std::string group_id = "state-manager-group";
  std::string city_id{kDefaultCityId};
  size_t batch_size = 1000;
  int flush_interval_ms = 1000;
  std::string dead_letter_topic = "twin.deadletter";  // empty: none
  RuleOptions rules;
  bool exit_at_end = false;
  // Start on a store that holds no city although the group has committed
  // offsets: the state those offsets cover is gone (Redis restarted without
  // persistence). Without it, Run() refuses, naming the ways to restore it.
  bool accept_empty_store = false;
  // Above this many unflushed changed entities (Redis down), consumption
  // pauses until a flush succeeds.
  size_t max_pending_entities = 200000;
};

}  // namespace twin

#endif  // TWIN_LIB_INGEST_INGEST_OPTIONS_H_
