#!/usr/bin/env bash
# twin-publish end to end on Apache Kafka: twin-ingest consumes a generated
# stream while twin-publish publishes, and the broker stops answering for a
# while in the middle (a publish in doubt burns its sequence). The design
# document's live "Option 2" consumer (kafkajs + jsondiffpatch) closes that
# gap with the next state.full and ends with exactly /api/state. The three
# consumers under default settings are consumers_test.sh.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
here="${TEST_SRCDIR:+$TEST_SRCDIR/$TEST_WORKSPACE/tools/twin-publish}"
here=${here:-$(cd "$(dirname "$0")" && pwd)}
twin_use_npm
# GET a path: body to $2, headers to $T/headers; prints the status code.
get() { curl -s -o "$2" -D $T/headers -w '%{http_code}' "http://127.0.0.1:$hport$1"; }
export -f get
export T

start_redis
start_broker --partitions 4
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS
twin-gen city -o $T/city.json
twin-gen stream --messages 30000 --bad-share 0.01 --seed 11 -o $T/stream.ndjson
twin-snapshot load $T/city.json

check "--once publishes one state.full and exits 0" bash -c \
  "twin-publish --once --full-topic once.full 2> $T/once.log && grep -q 'Published full state, sequence 1' $T/once.log"

hport=$(twin_free_port)
export hport
# Short timeouts make a publish fail while the broker is stopped, with its
# request in flight: the broker may store it on waking (the hard case).
twin-publish --http 127.0.0.1:$hport --incremental-interval-ms 400 --full-interval-ms 600000 \
  -X request.timeout.ms=2000 -X message.timeout.ms=3000 \
  2> $T/publish.log &
publisher=$!
TWIN_PIDS+=($publisher)
node "$here/design_consumers.mjs" option2 "$KAFKA_BROKERS" \
  "http://127.0.0.1:$hport" $T/final-sequence $T/kafkajs.json > $T/kafkajs.log 2>&1 &
dashboard=$!
TWIN_PIDS+=($dashboard)
iport=$(twin_free_port)
twin-ingest --metrics 127.0.0.1:$iport --flush-interval-ms 200 $TWIN_FAST_GROUP --group-id p 2> $T/ingest.log &
ingester=$!
TWIN_PIDS+=($ingester)
for _ in $(seq 100); do grep -q "Published full" $T/publish.log && grep -q assigned $T/ingest.log && break; sleep 0.1; done
twin-replay produce --rate 3000 $T/stream.ndjson &
producer=$!
sleep 3
# The broker stops answering for 6 s while the publisher has changes to
# send (it is held for 1 s first, while ingest flushes): that publish times
# out with its request in flight, and later ones are retried.
kill -STOP $publisher
sleep 1
kill -STOP "$BROKER_PID"
kill -CONT $publisher
sleep 2
# Meanwhile /api/state still answers, though the publisher is waiting on the
# broker and cannot render: the last document that has a text, with its
# sequence.
during_code=$(get /api/state $T/during.json)
during_sequence=$(sed -n 's/^X-Twin-Sequence: *\([0-9]*\).*/\1/ip' $T/headers)
sleep 2
kill -CONT "$BROKER_PID"
wait $producer
# Ingest catches up (its group may rejoin after the stop): every message
# handled and flushed.
for _ in $(seq 240); do
  curl -s http://127.0.0.1:$iport/metrics > $T/imetrics.txt
  handled=$(awk '/^twin_ingest_messages_total/ {n += $2} END {print n + 0}' $T/imetrics.txt)
  [ "$handled" -ge 30000 ] && grep -q '^twin_ingest_pending_entities 0$' $T/imetrics.txt && break
  sleep 0.5
done
check "/api/state answered while the broker was stopped" bash -c \
  "test '$during_code' = 200 && test -n '$during_sequence' && node -e 'JSON.parse(require(\"fs\").readFileSync(\"$T/during.json\"))'"
check "ingest handled the whole stream" test "$handled" -ge 30000
kill -TERM $ingester; wait $ingester
# A load replaces the state (entities go back to the city definition): the
# feed says reload, and the next delta must diff the two whole documents.
sleep 1.5
twin-snapshot load $T/city.json
reloaded() {
  awk '/change feed says reload/ {r = 1} r && /Published incremental/ {f = 1} END {exit !f}' \
    $T/publish.log
}
for _ in $(seq 600); do reloaded && break; sleep 0.2; done
# Compare only once the publisher has caught up: its sequence must stay the
# same over several incremental intervals (slow builds, such as ASan, take
# longer per tick).
previous=-1
for _ in $(seq 60); do
  sleep 1.5
  current=$(curl -s http://127.0.0.1:$hport/metrics | sed -n 's/^twin_publish_sequence //p')
  [ "$current" = "$previous" ] && break
  previous=$current
done
check "/api/state answers with X-Twin-Sequence" bash -c \
  "test \$(get /api/state $T/api.json) = 200 && grep -qi '^X-Twin-Sequence: [0-9]' $T/headers"
check "publishes failed while the broker was stopped" bash -c \
  "curl -s http://127.0.0.1:$hport/metrics | grep -q '^twin_publish_failures_total [1-9]'"
# Latency histograms: one observation per acknowledged publish, full or
# incremental, both for the tick and for send-to-ack.
curl -s http://127.0.0.1:$hport/metrics > $T/pmetrics.txt
published=$(awk '/^twin_publish_(full|incremental)_total/ {n += $2} END {print n + 0}' $T/pmetrics.txt)
check "/metrics has tick and ack histograms counting every acknowledged publish" bash -c \
  "test $published -gt 1 &&
   grep -q '^twin_publish_tick_seconds_count $published\$' $T/pmetrics.txt &&
   grep -q '^twin_publish_ack_seconds_count $published\$' $T/pmetrics.txt &&
   grep -q '^twin_publish_tick_seconds_bucket{le=\"+Inf\"} $published\$' $T/pmetrics.txt"
sed -n 's/^X-Twin-Sequence: *\([0-9]*\).*/\1/ip' $T/headers > $T/final-sequence.tmp
mv $T/final-sequence.tmp $T/final-sequence
timeout 150 tail --pid=$dashboard -f /dev/null
wait $dashboard
check "a live kafkajs + jsondiffpatch consumer applied every message in sequence" test $? = 0
# Whether the stopped broker leaves a publish in doubt depends on timing.
# When it did, the in-doubt sequence was stored or not (a gap); either way
# the consumer must have applied the state.full that came next, besides the
# first one.
check "... and after a sequence in doubt, applied the state.full that followed it" bash -c \
  "! grep -q 'may have reached the broker' $T/publish.log ||
   grep -qE ' ([2-9]|[1-9][0-9]+) full and' $T/kafkajs.log"
check "... and its state deep-equals /api/state" \
  node -e 'const fs=require("fs"); const c=(v)=>JSON.stringify(v,(k,x)=>x&&typeof x==="object"&&!Array.isArray(x)?Object.fromEntries(Object.keys(x).sort().map(k=>[k,x[k]])):x);
           process.exit(c(JSON.parse(fs.readFileSync(process.argv[1])))===c(JSON.parse(fs.readFileSync(process.argv[2])))?0:1)' $T/kafkajs.json $T/api.json
cp $T/publish.log $T/kafkajs.log $T/ingest.log "${TEST_UNDECLARED_OUTPUTS_DIR:-$T}/" 2>/dev/null
check "the load made twin-publish reload and publish the reverted state as a delta" reloaded
check "the log says Published incremental with sizes" grep -q "Published incremental state, sequence .*, delta [0-9]* bytes" $T/publish.log
check "a district by id" bash -c "test \$(get /api/state/districts/district-02 $T/d.json) = 200 && grep -q '\"districtId\":\"district-02\"' $T/d.json"
check "an unknown district is a JSON 404" bash -c "test \$(get /api/state/districts/nope $T/d.json) = 404 && grep -q error $T/d.json"
check "an unknown path is a JSON 404" bash -c "test \$(get /nope $T/n.json) = 404 && grep -q error $T/n.json"
check "transport and emergency routes" bash -c \
  "test \$(get /api/state/publicTransport $T/p.json) = 200 && grep -q buses $T/p.json &&
   test \$(get /api/state/emergencyServices $T/e.json) = 200 && grep -q incidents $T/e.json"
check "/metrics counts publishes" bash -c "test \$(get /metrics $T/m.txt) = 200 && grep -q '^twin_publish_incremental_total' $T/m.txt"
kill -TERM $publisher; wait $publisher
check "SIGTERM stops twin-publish with exit 0" test $? = 0
check "after a final state.full" bash -c "tail -3 $T/publish.log | grep -q 'Published full state'"

twin_summary
