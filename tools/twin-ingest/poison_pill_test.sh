#!/usr/bin/env bash
# Poison pills mixed into normal traffic, on Apache Kafka: a 300,000-level
# deep message, one exactly 64 levels deep (the limit: it applies), a
# 1,000,100-byte and a 1.2 MB reject,
# invalid UTF-8, a number out of range, an unknown edge, a non-object, an
# empty value. twin-ingest keeps running and committing; its state equals a
# rebuild of what Kafka holds; a restart afterwards reads nothing and
# changes nothing.
source "$(dirname "$0")/../../testdata/harness/lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/lib.sh"
twin_use_tools
T=$TWIN_TMP
start_broker --partitions 4 --topic-config max.message.bytes=3000000
kafka-admin $KAFKA_TEST_BROKERS alter twin.deadletter max.message.bytes=1048588
start_redis
export REDIS_URL=$REDIS_TEST_URL KAFKA_BROKERS=$KAFKA_TEST_BROKERS
twin-gen city -o $T/city.json
twin-snapshot load $T/city.json 2> /dev/null
twin-gen stream --messages 8000 --bad-share 0.02 --partitions 4 --seed 21 -o $T/traffic.ndjson

# The pills, one NDJSON line each (values as raw strings, or base64 for bytes).
pill() {  # pill TOPIC PARTITION VALUE-PRODUCING-COMMAND...
  local topic=$1 partition=$2; shift 2
  printf '{"topic":"%s","partition":%s,"timestamp":1765188000000,"valueBase64":"%s"}\n' \
    "$topic" "$partition" "$("$@" | base64 -w0)"
}
deep() {  # deep N: {"districtId":"district-01","sensorId":"s","x":[[...]]}
  printf '{"districtId":"district-01","sensorId":"deep","x":'
  head -c "$1" /dev/zero | tr '\0' '['; head -c "$1" /dev/zero | tr '\0' ']'; printf '}'
}
filler() { printf 'not json '; head -c "$1" /dev/zero | tr '\0' x; }
{
  pill sensors.environmental 0 deep 300000
  pill sensors.environmental 1 deep 63
  pill transport.gps 2 filler 1000100
  pill transport.gps 3 filler 1200000
  pill transport.gps 0 printf '{"busId":"bad-utf8","note":"\xff\xfe"}'
  pill transport.gps 1 printf '{"busId":"huge","speed":1e400}'
  pill traffic.graph 2 printf '{"edgeId":"no-such-edge","trafficConditions":{}}'
  pill transport.stations 3 printf '[1,2,3]'
  pill emergency.incidents 0 printf ''
} > $T/pills.ndjson
# Interleaved: a pill every 800 messages of traffic.
awk -v pills=$T/pills.ndjson 'BEGIN {while ((getline l < pills) > 0) p[n++] = l}
  {print} NR % 800 == 0 && i < n {print p[i++]} END {while (i < n) print p[i++]}' \
  $T/traffic.ndjson > $T/stream.ndjson
check "the stream with its pills is in Kafka" \
  twin-replay produce -X message.max.bytes=3000000 $T/stream.ndjson
total=$(wc -l < $T/stream.ndjson)

twin-ingest --metrics 127.0.0.1:0 --flush-interval-ms 200 --group-id poison $TWIN_FAST_GROUP 2> $T/ingest.log &
ingester=$!
TWIN_PIDS+=($ingester)
mport=$(ingest_metrics_port $T/ingest.log)
wait_ingested "$mport" $total '^twin_ingest_pending_dead_letters 0$' > /dev/null
check "ingest is still running after every pill" kill -0 $ingester
check "it handled every message" test \
  "$(awk '/^twin_ingest_messages_total/ {n += $2} END {print n + 0}' $T/metrics.txt)" -ge $total
check "/healthz answers (degraded: the 1.2 MB reject could not be dead-lettered)" bash -c \
  "curl -s http://127.0.0.1:$mport/healthz | grep -q '\"status\":\"degraded\"'"
for _ in $(seq 50); do
  twin-replay capture --topics twin.deadletter 2> /dev/null > $T/dead.ndjson
  grep -q '"error","too-deep"' $T/dead.ndjson && break
  sleep 0.2
done
check "the deep message was rejected as too-deep and dead-lettered, not stored" \
  grep -q '"error","too-deep"' $T/dead.ndjson
kill -TERM $ingester; wait $ingester
check "SIGTERM: exit 0" test $? = 0
twin-snapshot save > $T/saved.json
twin-replay capture --topics $TWIN_INPUT_TOPICS > $T/kafka.ndjson 2> /dev/null
twin-replay rebuild --base $T/city.json --input $T/kafka.ndjson --summary-json $T/summary.json \
  -o $T/expected.json 2> /dev/null
echo "poison: $(cat $T/summary.json)"
check "the state equals the rebuild of what Kafka holds" cmp $T/saved.json $T/expected.json
check "the 64-level message applied; only the 300,000-level one was too-deep" bash -c \
  "grep -q '\"sensorId\":\"deep\"' $T/saved.json && grep -q '\"too-deep\":1' $T/summary.json"
check "a restart reads nothing and changes nothing" bash -c \
  "timeout 120 twin-ingest --metrics 127.0.0.1:0 $TWIN_FAST_GROUP --group-id poison --exit-at-end 2> $T/again.log &&
   grep -q 'stopped after 0 messages' $T/again.log && twin-snapshot save | cmp - $T/saved.json"
cp $T/*.log "${TEST_UNDECLARED_OUTPUTS_DIR:-$T}/" 2> /dev/null
twin_summary
