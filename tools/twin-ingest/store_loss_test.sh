#!/usr/bin/env bash
# Redis restarted empty (no persistence) under a running twin-ingest and
# twin-publish, on Apache Kafka (issue 18, path 1). twin-ingest stops
# without committing rather than build a partial city; twin-publish
# publishes nothing while the city is missing (no empty state.full) and
# says so on /healthz; a restart of twin-ingest refuses, naming the
# recovery; after the documented recovery the state equals a rebuild of
# what Kafka holds, and twin-publish publishes it.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
fast="-X session.timeout.ms=6000 -X heartbeat.interval.ms=500"
inputs=sensors.environmental,sensors.traffic,buildings.sensors,buildings.occupancy,weather.stations,traffic.graph,transport.gps,transport.stations,emergency.incidents
start_broker --partitions 4
start_redis
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS
twin-gen city -o $T/city.json
twin-snapshot load $T/city.json 2> /dev/null
twin-gen stream --messages 20000 --partitions 4 --seed 9 -o $T/stream.ndjson
head -10000 $T/stream.ndjson > $T/first.ndjson
tail -n +10001 $T/stream.ndjson > $T/rest.ndjson
twin-replay produce $T/first.ndjson 2> /dev/null

hport=$(twin_free_port)
twin-publish --http 127.0.0.1:$hport --incremental-interval-ms 300 2> $T/publish.log &
publisher=$!
TWIN_PIDS+=($publisher)
twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 --group-id loss $fast 2> $T/ingest.log &
ingester=$!
TWIN_PIDS+=($ingester)
mport=$(ingest_metrics_port $T/ingest.log)
wait_ingested "$mport" 10000 '^twin_ingest_commits_total [1-9]' > /dev/null
sleep 1  # the publisher follows the last flush
fulls_before=$(grep -c 'Published full' $T/publish.log)
echo "loss: the first 10,000 messages are in; Redis restarts empty"
redis-cli -p $REDIS_PORT_NUM shutdown nosave > /dev/null 2>&1
wait $REDIS_PID 2> /dev/null
redis-server --port $REDIS_PORT_NUM --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$REDIS_DIR" --logfile "$TWIN_TMP/redis-again.log" &
TWIN_PIDS+=($!)
for _ in $(seq 100); do redis-cli -p $REDIS_PORT_NUM ping > /dev/null 2>&1 && break; sleep 0.1; done
twin-replay produce $T/rest.ndjson 2> /dev/null
timeout 120 tail --pid=$ingester -f /dev/null
wait $ingester
check "twin-ingest stopped with exit 1 on finding the city gone" test $? = 1
check "... saying so, and naming the recovery" bash -c \
  "grep -q 'is gone from Redis' $T/ingest.log && grep -q 'twin-snapshot load' $T/ingest.log"
check "Redis holds no partial city" test "$(redis-cli -p $REDIS_PORT_NUM dbsize)" = 0
sleep 1
check "twin-publish publishes nothing while the city is missing, and says why" bash -c \
  "grep -q 'holds no state for city' $T/publish.log &&
   test \$(grep -c 'Published full' $T/publish.log) = $fulls_before"
check "... and /healthz is 503" test \
  "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$hport/healthz)" = 503
check "a restart of twin-ingest refuses, naming the recovery" bash -c \
  "! timeout 60 twin-ingest --metrics 127.0.0.1:0 $fast --group-id loss --exit-at-end 2> $T/refused.log &&
   grep -q 'has committed offsets' $T/refused.log && grep -q 'twin-replay rebuild' $T/refused.log"
check "Redis still holds no partial city" test "$(redis-cli -p $REDIS_PORT_NUM dbsize)" = 0

# The documented recovery: the city definition, then everything Kafka holds.
twin-snapshot load $T/city.json 2> /dev/null
twin-replay rebuild --base $T/city.json --into-redis 2> /dev/null
check "after the recovery twin-ingest starts and reads to the end" bash -c \
  "timeout 120 twin-ingest --metrics 127.0.0.1:0 $fast --group-id loss --exit-at-end 2> $T/after.log"
twin-replay capture --topics $inputs > $T/kafka.ndjson 2> /dev/null
twin-replay rebuild --base $T/city.json --input $T/kafka.ndjson -o $T/expected.json 2> /dev/null
check "the state equals the rebuild of what Kafka holds" bash -c "twin-snapshot save | cmp - $T/expected.json"
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$hport/healthz)" = 200 ] && break
  sleep 0.2
done
check "twin-publish publishes again once the city is back" bash -c \
  "grep -q 'the city is back in the store' $T/publish.log &&
   test \$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$hport/healthz) = 200"
kill -TERM $publisher; wait $publisher
cp $T/*.log "${TEST_UNDECLARED_OUTPUTS_DIR:-$T}/" 2> /dev/null
twin_summary
