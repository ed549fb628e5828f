// How twin-ingest configures its two Kafka clients: the group consumer and
// the dead-letter producer, from one set of -X properties. Pure.
#ifndef TWIN_LIB_INGEST_CLIENT_SETTINGS_H_
#define TWIN_LIB_INGEST_CLIENT_SETTINGS_H_

#include "lib/ingest/ingest_options.h"
#include "lib/kafka/kafka_io.h"

namespace twin {

// The consumer's defaults, under the -X properties: offsets committed by
// hand after each flush, partition ends reported, a bounded fetch queue.
KafkaProperties ConsumerDefaults(const IngestOptions& options);

// The -X properties go to both clients, except the consumer's own
// (group., session., fetch. and the like), which the producer would warn
// about or refuse.
KafkaSettings ProducerSettings(const KafkaSettings& consumer);

// The dead-letter producer's defaults: idempotent, acks=all, room for the
// largest message the input accepts, batched (linger.ms).
KafkaProperties DeadLetterProducerDefaults(const IngestOptions& options);

}  // namespace twin

#endif  // TWIN_LIB_INGEST_CLIENT_SETTINGS_H_
