// Sending recorded traffic to Kafka (twin-replay produce): every record of a
// RecordSource to its topic, through the Producer seam (producer.h).
// Not synchronised; `stop` may be set from a signal handler.
#ifndef TWIN_LIB_KAFKA_RECORD_PRODUCER_H_
#define TWIN_LIB_KAFKA_RECORD_PRODUCER_H_

#include <atomic>
#include <cstdint>

#include "lib/base/status.h"
#include "lib/kafka/kafka_io.h"
#include "lib/kafka/producer.h"
#include "lib/kafka/record_source.h"

namespace twin {

struct ProduceOptions {
  double rate = 0;  // messages per second; 0: as fast as the broker takes them
};

// Sends every record of `source` to its topic: to its partition when it has
// one (else the producer's partitioner, by key), with its key, headers and
// timestamp (the producer's clock when it has none). Stops at the source's
// end, its first error, the first refused send or failed delivery, or
// `stop`; in every case it first waits (up to 30 s) for the broker to
// acknowledge what was sent. *produced counts acknowledged messages. The
// error names the first failure; Cancelled after `stop`.
// The producer is idempotent (unless -X says otherwise): a retry after a
// leader change or a lost acknowledgement never stores a record twice.
Status ProduceRecords(RecordSource* source, const KafkaSettings& settings,
                      const ProduceOptions& options, const std::atomic<bool>* stop,
                      uint64_t* produced,
                      const ProducerFactory& make_producer = MakeKafkaProducer);

}  // namespace twin

#endif  // TWIN_LIB_KAFKA_RECORD_PRODUCER_H_
