#!/usr/bin/env bash
# The design document's three consumers (design_consumers.mjs: stock kafkajs
# and jsondiffpatch, no codec plugin) read twin-publish on Apache Kafka while
# twin-ingest applies live traffic. twin-publish runs with its defaults (its
# codec, timeouts, topics and the 60 s full interval); only the incremental
# interval is shortened, so that a run holds many incrementals in seconds.
# The state.fulls are the one at start and the final one at SIGTERM. (A
# state.full in between takes a sequence number that an Option 3 consumer
# never sees, so it must read /api/state again; design_consumers.mjs does.)
#   Option 1 (state.full only): every message parses; the last equals the store.
#   Option 2 (both topics, patching) and Option 3 (/api/state, then
#   incrementals above X-Twin-Sequence): no gap, and the end state
#   deep-equals /api/state and twin-snapshot save.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
here="${TEST_SRCDIR:+$TEST_SRCDIR/$TEST_WORKSPACE/tools/twin-publish}"
here=${here:-$(cd "$(dirname "$0")" && pwd)}
twin_use_npm

start_redis
start_broker --partitions 4
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS
twin-gen city -o $T/city.json
twin-gen stream --messages 20000 --bad-share 0.01 --seed 5 -o $T/stream.ndjson
twin-snapshot load $T/city.json

hport=$(twin_free_port)
twin-publish --http 127.0.0.1:$hport --incremental-interval-ms 500 2> $T/publish.log &
publisher=$!
TWIN_PIDS+=($publisher)
for _ in $(seq 300); do grep -q "Published full" $T/publish.log && break; sleep 0.1; done
consumer() {  # consumer MODE STOP_FILE: starts one in the background, sets its pid
  node "$here/design_consumers.mjs" "$1" "$KAFKA_BROKERS" "http://127.0.0.1:$hport" "$2" \
    $T/$1.json > $T/$1.log 2>&1 &
  TWIN_PIDS+=($!)
  eval "$1=$!"
}
consumer option1 $T/stop-full
consumer option2 $T/stop-full
twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 --group-id consumers \
  -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 2> $T/ingest.log &
ingester=$!
TWIN_PIDS+=($ingester)
twin-replay produce --rate 2500 $T/stream.ndjson &
producer=$!
# Option 3 joins mid-run: /api/state already holds some incrementals.
for _ in $(seq 300); do
  [ "$(grep -c 'Published incremental' $T/publish.log)" -ge 3 ] && break
  sleep 0.1
done
consumer option3 $T/stop-incremental
wait $producer
# Every message handled and flushed (the dead letters too), then two
# incremental intervals for the publisher to follow the last flush.
handled=$(wait_ingested "$(ingest_metrics_port $T/ingest.log)" 20000)
check "ingest handled the whole stream" test "$handled" -ge 20000
kill -TERM $ingester; wait $ingester
sleep 1.5
curl -s -D $T/headers -o $T/api.json http://127.0.0.1:$hport/api/state
twin-snapshot save > $T/saved.json
# SIGTERM: a final state.full, the end of Options 1 and 2.
kill -TERM $publisher; wait $publisher
check "twin-publish stopped with exit 0" test $? = 0
sed -n 's/.*Published full state, sequence \([0-9]*\).*/\1/p' $T/publish.log | tail -1 > $T/stop-full
sed -n 's/.*Published incremental state, sequence \([0-9]*\).*/\1/p' $T/publish.log | tail -1 \
  > $T/stop-incremental
check "twin-publish used its default codec (gzip), which kafkajs reads" \
  grep -q 'producing with compression.type=gzip' $T/publish.log
for mode in option1 option2 option3; do
  timeout 300 tail --pid=${!mode} -f /dev/null
  wait ${!mode}
  check "$mode: the consumer ran to the final sequence with every check passing" test $? = 0
  grep -h "^option\|FAIL" $T/$mode.log
done
check "Option 1: the last state.full deep-equals twin-snapshot save" same_state $T/option1.json $T/saved.json
check "Option 2: the patched state deep-equals /api/state" same_state $T/option2.json $T/api.json
check "Option 2: ... and twin-snapshot save" same_state $T/option2.json $T/saved.json
check "Option 3: the patched state deep-equals /api/state" same_state $T/option3.json $T/api.json
check "Option 3: ... and twin-snapshot save" same_state $T/option3.json $T/saved.json
check "the traffic changed the city (the comparison is not of the definition)" \
  differ_state $T/saved.json $T/city.json
check "Options 2 and 3 saw no gap" bash -c \
  "grep -q ' 0 gaps' $T/option2.log && grep -q ' 0 re-reads' $T/option3.log"
cp $T/*.log "${TEST_UNDECLARED_OUTPUTS_DIR:-$T}/" 2>/dev/null
twin_summary
