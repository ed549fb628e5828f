#!/usr/bin/env bash
# state.full against Apache Kafka's default 1 MB limit (a topic's
# max.message.bytes, 1,048,588 unless set): the design-scale city, gzipped
# by default, is published; the 10x city is refused with an error naming
# the size, the limit and the settings to change, and the sequence does not
# advance; once the topic allows it, the very next try goes through as
# sequence 1.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
start_redis
start_broker --partitions 1
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS

check "the topics keep Kafka's default limit" bash -c \
  "! kafka-admin $KAFKA_BROKERS describe-broker | grep -q 'message.max.bytes=[0-9]\{8,\}'"
twin-gen city -o $T/city.json
twin-snapshot load $T/city.json 2> /dev/null
check "the design-scale city, gzipped by default, fits a default topic" bash -c \
  "twin-publish --once 2> $T/once.log && grep -q 'Published full state, sequence 1' $T/once.log"

twin-gen city --scale 10 -o $T/city10.json
redis-cli -p $REDIS_PORT_NUM flushall > /dev/null
twin-snapshot load $T/city10.json 2> /dev/null
check "the 10x city is refused: --once exits 1" expect_exit 1 \
  twin-publish --once --full-topic state.full 2> $T/refused.log
check "... with an error naming the size, the limit and what to raise" bash -c \
  "grep -q 'refused by the broker: the [0-9]*-byte document' $T/refused.log &&
   grep -q \"max.message.bytes (1048588 bytes)\" $T/refused.log &&
   grep -q 'fetch.max.bytes' $T/refused.log"
hport=$(twin_free_port)
twin-publish --http 127.0.0.1:$hport --full-interval-ms 3000 --full-topic big.full \
  --incremental-topic big.incremental 2> $T/publish.log &
publisher=$!
TWIN_PIDS+=($publisher)
kafka-admin $KAFKA_BROKERS create big.full 1 1
for _ in $(seq 300); do grep -q 'refused by the broker' $T/publish.log && break; sleep 0.2; done
sequence() { curl -s http://127.0.0.1:$hport/metrics | sed -n 's/^twin_publish_sequence //p'; }
check "a running publisher refuses too, and its sequence does not advance" bash -c \
  "grep -q 'refused by the broker' $T/publish.log && test \"$(sequence)\" = 0"
check "nothing reached the topic" bash -c \
  "test \$(twin-replay capture --topics big.full 2>/dev/null | wc -l) = 0"
kafka-admin $KAFKA_BROKERS alter big.full max.message.bytes=50000000
for _ in $(seq 300); do grep -q 'Published full state' $T/publish.log && break; sleep 0.2; done
check "with the topic configured larger, the next try is published as sequence 1" \
  grep -q 'Published full state, sequence 1,' $T/publish.log
kill -TERM $publisher; wait $publisher
check "and the state.full on the topic is the whole 10x city" bash -c \
  "twin-replay capture --topics big.full 2>/dev/null | head -1 > $T/big.ndjson &&
   node -e 'const r = JSON.parse(require(\"fs\").readFileSync(process.argv[1], \"utf8\"));
     const s = JSON.parse(r.value); process.exit(s.districts.length === 50 ? 0 : 1)' $T/big.ndjson"
cp $T/*.log "${TEST_UNDECLARED_OUTPUTS_DIR:-$T}/" 2> /dev/null
twin_summary
